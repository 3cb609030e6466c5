import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api.js";
import { ErrorText, Loading } from "../components/status.js";
import { useSession } from "../session.js";

/** A company's members: list, add (creating the user when new), remove. */
export function UsersView() {
  const session = useSession();
  const company = session.platform ? session.company : session.caller.companyId;
  return (
    <section>
      <h1>Users</h1>
      {company ? (
        <Members company={company} />
      ) : (
        <p>Choose a company in the “Company” box to see its users.</p>
      )}
    </section>
  );
}

function Members({ company }: { company: string }) {
  const queryClient = useQueryClient();
  const members = useQuery({
    queryKey: ["memberships", company],
    queryFn: () => api.listMemberships({ companyId: company }),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["memberships", company] });
  const remove = useMutation({
    mutationFn: (userId: string) => api.removeMembership({ userId, companyId: company }),
    onSuccess: refresh,
  });
  return (
    <>
      <p>Members of company {company}. Their user tokens may act for it.</p>
      {members.isPending && <Loading what="users" />}
      {members.error && <ErrorText error={members.error} />}
      {remove.error && <ErrorText error={remove.error} />}
      {members.data && members.data.memberships.length === 0 && <p className="empty">No users yet.</p>}
      {members.data && members.data.memberships.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Member since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.memberships.map((m) => (
                <tr key={m.userId}>
                  <th scope="row">{m.userId}</th>
                  <td>
                    {m.createTime ? new Date(Number(m.createTime.seconds) * 1000).toLocaleDateString() : ""}
                  </td>
                  <td>
                    <button
                      type="button"
                      onClick={() => remove.mutate(m.userId)}
                      aria-label={`Remove ${m.userId}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddMember company={company} onAdded={refresh} />
    </>
  );
}

function AddMember({ company, onAdded }: { company: string; onAdded: () => void }) {
  const [userId, setUserId] = useState("");
  const [name, setName] = useState("");
  const add = useMutation({
    mutationFn: async () => {
      const id = userId.trim();
      const existing = await api.getUser({ userId: id }).catch(() => null);
      // A new user is created with this company as its default, which makes it a member at once.
      if (!existing) await api.createUser({ user: { id, name: name.trim(), defaultCompanyId: company } });
      else await api.addMembership({ userId: id, companyId: company });
    },
    onSuccess: () => {
      setUserId("");
      setName("");
      onAdded();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={submit} className="inline-form" aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      <label>
        User id
        <input value={userId} onChange={(e) => setUserId(e.target.value)} required />
      </label>
      <label>
        Display name
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      {add.error && <ErrorText error={add.error} />}
      <button type="submit" disabled={!userId.trim() || add.isPending}>
        Add user
      </button>
    </form>
  );
}
