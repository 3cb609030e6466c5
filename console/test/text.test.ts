// @vitest-environment happy-dom

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { signInProblem } from "../src/api.js";
import { reporterText } from "../src/components/leak-banner.js";
import { confirmsCompany, revokedSentence } from "../src/components/revoke-all-dialog.js";
import { errorText, fieldError } from "../src/errors.js";
import { csvField, parseMetadata, percent, relativeTime, toCsv } from "../src/format.js";
import { parseRoute, routePath } from "../src/router.js";

describe("errors in words", () => {
  it("turns each code into a sentence without numbers", () => {
    for (const code of [
      Code.NotFound,
      Code.Unauthenticated,
      Code.PermissionDenied,
      Code.Unavailable,
      Code.Internal,
    ]) {
      const text = errorText(new ConnectError("x", code));
      expect(text).toMatch(/^[A-Z].*\.$/);
      expect(text).not.toMatch(/\d/);
    }
    expect(errorText(new TypeError("fetch failed"))).toContain("connection");
  });

  it("finds a field's violation, including an element of a list", () => {
    const err = new ConnectError("bad", Code.InvalidArgument, undefined, [
      {
        desc: BadRequestSchema,
        value: create(BadRequestSchema, {
          fieldViolations: [{ field: "scopes[1]", description: "not a scope" }],
        }),
      },
    ]);
    expect(fieldError(err, "scopes")).toBe("not a scope");
    expect(fieldError(err, "name")).toBe(undefined);
    expect(errorText(err)).toBe("Some fields need fixing.");
  });

  it("explains sign-in refusals", () => {
    expect(signInProblem(401, "the key holds neither keys:admin nor platform:admin")).toContain(
      "not an admin key",
    );
    expect(signInProblem(401, "admin key rejected: revoked_key")).toContain("revoked");
    expect(signInProblem(500, "")).toContain("Try again");
    expect(signInProblem(429, "", 61)).toBe(
      "Too many failed sign-ins from your address. Try again in 2 minutes.",
    );
  });
});

describe("formatting", () => {
  it("writes CSV that spreadsheets cannot mistake for formulas", () => {
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField("=cmd()")).toBe("'=cmd()");
    expect(toCsv(["a", "b"], [["1", "x\ny"]])).toBe('a,b\r\n1,"x\ny"\r\n');
  });

  it("reads metadata lines and says relative times and shares", () => {
    expect(parseMetadata("a=1\n\n b = two ")).toEqual({ a: "1", b: "two" });
    expect(relativeTime(undefined, 0)).toBe("never");
    expect(relativeTime(new Date(3 * 86_400_000), 0)).toBe("in 3 days");
    expect(relativeTime(new Date(0), 90_000)).toBe("1 minute ago");
    expect(percent(1, 4)).toBe("25.0%");
    expect(percent(0, 0)).toBe("–");
  });
});

describe("routes", () => {
  it("round-trips every view through its path", () => {
    for (const route of [
      { view: "keys" },
      { view: "key", id: "k/1" },
      { view: "audit" },
      { view: "users" },
      { view: "webhooks" },
    ] as const) {
      expect(parseRoute(routePath(route))).toEqual(route);
    }
    expect(parseRoute("/console/nowhere")).toEqual({ view: "keys" });
  });
});

describe("revoke-all confirmation", () => {
  it("wants the company id exactly, forgiving only surrounding spaces", () => {
    expect(confirmsCompany(" acme ", "acme")).toBe(true);
    expect(confirmsCompany("acm", "acme")).toBe(false);
    expect(confirmsCompany("ACME", "acme")).toBe(false);
    expect(confirmsCompany("", "")).toBe(false);
  });

  it("says how many keys went", () => {
    expect(revokedSentence(1n, "acme")).toBe("Revoked 1 key of company acme.");
    expect(revokedSentence(0n, "acme")).toBe("Revoked 0 keys of company acme.");
  });
});

describe("leak reporters in words", () => {
  it("names the known reporters and passes others through", () => {
    expect(reporterText("github")).toBe("GitHub secret scanning");
    expect(reporterText("self")).toBe("someone holding the key");
    expect(reporterText("scanner-x")).toBe("scanner-x");
  });
});
