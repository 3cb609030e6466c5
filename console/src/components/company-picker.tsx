import { useState } from "react";
import { useSession } from "../session.js";

/**
 * The platform admin's company filter: a text box with suggestions (a combobox), empty for every company.
 * Applied on Enter or when focus leaves, so each keystroke does not start a new listing.
 */
export function CompanyPicker() {
  const session = useSession();
  const [text, setText] = useState(session.company);
  const apply = () => session.setCompany(text.trim());
  return (
    <div className="company-picker">
      <label htmlFor="company-picker">Company</label>
      <input
        id="company-picker"
        list="known-companies"
        placeholder="All companies"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === "Enter") apply();
        }}
      />
      <datalist id="known-companies">
        {session.caller.companyId && <option value={session.caller.companyId} />}
      </datalist>
    </div>
  );
}
