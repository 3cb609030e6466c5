import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { readExample } from "../helpers/proxies.js";
import { CADDY_EXAMPLE } from "../helpers/proxies-caddy.js";
import { NGINX_EXAMPLE } from "../helpers/proxies-nginx.js";
import { TRAEFIK_EXAMPLE } from "../helpers/proxies-traefik.js";

const GUIDE = readFileSync(join(ROOT, "docs/proxies.md"), "utf8");
/** Which example a code block of each language is an excerpt of. */
const EXAMPLE_OF: Record<string, string> = {
  nginx: NGINX_EXAMPLE,
  caddyfile: CADDY_EXAMPLE,
  yaml: TRAEFIK_EXAMPLE,
};
/** Sections whose blocks configure something the tests do not run, and so quote no example. */
const NOT_RUN = new Set(["ingress-nginx"]);

/** The guide's fenced code blocks, with their language and the section they sit in. */
function codeBlocks(): { lang: string; section: string; lines: string[] }[] {
  const blocks: { lang: string; section: string; lines: string[] }[] = [];
  let section = "";
  let open: { lang: string; section: string; lines: string[] } | null = null;
  for (const line of GUIDE.split("\n")) {
    if (open) {
      if (line.startsWith("```")) {
        blocks.push(open);
        open = null;
      } else {
        open.lines.push(line);
      }
    } else if (line.startsWith("## ")) {
      section = line.slice(3);
    } else if (line.startsWith("```")) {
      open = { lang: line.slice(3), section, lines: [] };
    }
  }
  return blocks;
}

/** Lines without their indentation and blank lines: an excerpt may sit at another depth in the example. */
const normalised = (lines: string[]) => lines.map((l) => l.trim()).filter(Boolean);

/** docs/proxies.md is followed: what it shows of the examples is in them, and what it names is run. */
describe("the proxy guide", () => {
  it("quotes every configuration excerpt from the example that the tests run", () => {
    const quoted = codeBlocks().filter((b) => !NOT_RUN.has(b.section));
    expect(new Set(quoted.map((b) => b.lang))).toEqual(new Set(Object.keys(EXAMPLE_OF)));
    for (const block of quoted) {
      const example = normalised(readExample(EXAMPLE_OF[block.lang] as string).split("\n")).join("\n");
      expect(example, `a ${block.lang} excerpt of the guide`).toContain(normalised(block.lines).join("\n"));
    }
  });

  it("names exactly the examples and test files that exist and run", () => {
    const examples = new Set(GUIDE.match(/examples\/[\w./-]+/g));
    expect(examples).toEqual(new Set(Object.values(EXAMPLE_OF)));
    const tests = new Set(GUIDE.match(/test\/e2e\/[\w.-]+\.test\.ts/g));
    expect([...tests].sort()).toEqual([
      "test/e2e/proxy-caddy.test.ts",
      "test/e2e/proxy-guide.test.ts",
      "test/e2e/proxy-nginx.test.ts",
      "test/e2e/proxy-traefik.test.ts",
    ]);
    for (const file of tests) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });
});
