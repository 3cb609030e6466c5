import { type FormEvent, useState } from "react";
import { signIn } from "../api.js";

/** Paste an admin key, get a session. The key is sent once and forgotten: only the HttpOnly cookie remains. */
export function SignInView({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const error = await signIn(key.trim()).catch(() => "The server could not be reached. Try again.");
    setBusy(false);
    setKey("");
    if (error) setProblem(error);
    else onSignedIn();
  };
  return (
    <main className="sign-in">
      <h1>Keyward console</h1>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="admin-key">Admin key</label>
          <input
            id="admin-key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby="admin-key-hint"
          />
          <small id="admin-key-hint" className="hint">
            A key holding keys:admin or platform:admin, such as the one <code>keyward keygen --admin</code>{" "}
            printed.
          </small>
        </div>
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || key.trim() === ""}>
          Sign in
        </button>
      </form>
    </main>
  );
}
