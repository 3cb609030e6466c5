// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SecretDialog } from "../src/components/secret-dialog.js";

const SECRET = `sk_test_${"A".repeat(49)}`;

describe("secret dialog", () => {
  afterEach(cleanup);

  it("shows the whole key read-only with a bearer snippet", () => {
    render(<SecretDialog secret={SECRET} onDone={() => {}} />);
    const box = screen.getByLabelText("Secret key") as HTMLInputElement;
    expect(box.value).toBe(SECRET);
    expect(box.readOnly).toBe(true);
    expect(document.body.textContent).toContain(`Authorization: Bearer ${SECRET}`);
  });

  it("asks once more before closing when the key was not copied", () => {
    const onDone = vi.fn();
    render(<SecretDialog secret={SECRET} onDone={onDone} />);
    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(onDone).not.toHaveBeenCalled();
    expect(screen.getByRole("alert").textContent).toContain("not copied");
    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it("closes at once after Copy", async () => {
    const onDone = vi.fn();
    render(<SecretDialog secret={SECRET} onDone={onDone} />);
    fireEvent.click(screen.getByRole("button", { name: "Copy" }));
    await screen.findByText("Copied to the clipboard.");
    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(onDone).toHaveBeenCalledTimes(1);
  });
});
