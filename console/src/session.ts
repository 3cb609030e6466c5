import { createContext, useContext } from "react";
import type { Caller } from "../../src/gen/keyward/admin/v1/console_pb.js";

/** Who is signed in, and the company a platform admin is looking at ("" = every company). */
export interface Session {
  caller: Caller;
  platform: boolean;
  company: string;
  setCompany: (company: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in session; views render only inside one. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in console");
  return s;
}

/** The company filter a listing sends: a company admin's own is implied by the server. */
export function companyFilter(s: Session): string {
  return s.platform ? s.company : "";
}
