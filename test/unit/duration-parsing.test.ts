import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/duration.js";

const S = 1000;
const DAY = 86_400_000;

describe("parseDuration", () => {
  it.each([
    ["30s", 30 * S],
    ["15m", 15 * 60 * S],
    ["24h", 24 * 3600 * S],
    ["7d", 7 * DAY],
    ["2w", 14 * DAY],
    ["3mo", 90 * DAY],
    ["1y", 365 * DAY],
    ["1s", S],
    ["999999s", 999_999 * S],
    ["007d", 7 * DAY],
    [" 7d ", 7 * DAY],
  ])("reads %j as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("tells minutes from months", () => {
    expect(parseDuration("3m")).toBe(180 * S);
    expect(parseDuration("3mo")).toBe(90 * DAY);
  });

  it.each(["0s", "0y", "000d", "0mo"])("refuses the zero duration %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    "",
    " ",
    "s",
    "7",
    "7 d",
    "7D",
    "7S",
    "7MO",
    "1.5h",
    "-1d",
    "+1d",
    "1e3s",
    "0x10s",
    "7days",
    "7ms",
    "1mo1d",
    "1d2h",
    "１d",
    "1000000s",
    "d7",
  ])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    ["100y", 100 * 365 * DAY],
    ["36500d", 36_500 * DAY],
    ["5214w", 5214 * 7 * DAY],
    ["1216mo", 1216 * 30 * DAY],
  ])("accepts %j, within a hundred years", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["101y", "36501d", "5215w", "1217mo", "876001h", "999999y"])(
    "refuses %j, past the hundred years a stored timestamp allows",
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});
