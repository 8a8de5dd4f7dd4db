"""Turns the figures of one run into the Markdown tables that run.py prints and benchmarks/README.md quotes."""

from __future__ import annotations

import math
from typing import Any

from benchmarks import dashboard, due_index, fanout, fleet, limit, recovery, replies, webhook
from benchmarks.profiling import Profile, render


def _n(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _met(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


def _size(n: int | str) -> str:
    n = int(n)
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k" if n >= 1000 else str(n)


def _failed(phase: dict[str, Any]) -> str:
    failed = phase.get("failed", 0)
    return f"; **{failed} failed** (database pool timeouts)" if failed else ""


def _cpu(phase: dict[str, Any]) -> str:
    """The bot process's CPU per update (runs saved before it was measured have none)."""
    if "cpu_ms" not in phase:
        return ""
    return f"; CPU {_n(phase['cpu_ms'], 2)} ms per update ({_n(phase['loop_cpu_ms'], 2)} in the event loop's thread)"


def header(run: dict[str, Any]) -> list[str]:
    m, sizes = run["machine"], run["sizes"]
    libs = ", ".join(f"{k} {v}" for k, v in run["libraries"].items())
    return [
        f"studybot benchmarks, {sizes['name']} run, {run['started']} ({run['duration_s'] / 60:.1f} min)",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['system']}, Python {m['python']}",
        f"- load average (1/5/15 min) at start {m['loadavg']}, at end {run['loadavg_end']} "
        "(the machine is shared: other runs compete for the same 2 cores)",
        f"- code: commit {run.get('code', '?')}; {libs}",
        *raw_send_rate(run["results"]),
        f"- medians of {sizes['repeats']} runs unless a row says otherwise; the fake Telegram server runs in its "
        "own process on 127.0.0.1",
    ]


def raw_send_rate(results: dict[str, Any]) -> list[str]:
    """The machine's raw send rate, first, so that readers can scale the absolute figures to their own machine."""
    f = results.get("fanout")
    if f is None or "baselines" not in f:
        return []
    b, n = f["baselines"], f["raw_concurrency"]
    return [
        f"- raw send rate (python-telegram-bot's send_message to the fake server, medians): over our transport "
        f"{_n(b[f'ours_{n}']['msgs_per_s'])} msg/s {n} in flight, {_n(b['ours_1']['msgs_per_s'])} one at a time; "
        f"PTB as installed (httpx) {_n(b[f'httpx_{n}']['msgs_per_s'])} msg/s {n} in flight, "
        f"{_n(b['httpx_1']['msgs_per_s'])} one at a time"
    ]


def _machine_cpu(run: dict[str, float], raw: dict[str, float]) -> str:
    """The whole machine's CPU per push (the bot, the fake server, PostgreSQL) and its busy cores, against the raw
    loop's: what the shared cores leave for a database beside sending."""

    def part(m: dict[str, float]) -> str:
        db = f" + PostgreSQL {m['postgres']:.2f}" if m["postgres"] >= 0.005 else ""
        busy = f"{m['cores_busy']:.2f} cores busy"
        return f"{m['machine']:.2f} ms (bot {m['bot']:.2f} + fake {m['fake']:.2f}{db}), {busy}"

    return f"machine CPU per push {part(run)} against {part(raw)}"


def fanout_rows(f: dict[str, Any]) -> list[list[str]]:
    rows = []
    for kind, d in f["databases"].items():
        parts = dict(d["ms_per_push"])
        per_commit = parts.pop("pushes per status commit", None)
        split = ", ".join(f"{k} {v:.2f}" for k, v in parts.items()) + " ms/push"
        if per_commit is not None:
            split += f"; {per_commit:.1f} pushes per status commit; {d.get('concurrency', 1)} sends at once"
        runs = "" if len(d["pass_runs"]) > 1 else " (1 run)"
        if "baselines" not in f:  # a run saved before the second baseline
            rows.append([
                "1", f"fan-out, {f['subscribers']:,} due, limiter off, {kind}{runs}",
                f"{_n(d['pass_msgs_per_s'])} msg/s ({split})",
                f"raw PTB send_message loop: {_n(f.get('raw_sequential_msgs_per_s', f['raw_msgs_per_s']))} msg/s one "
                f"at a time, {_n(f.get('raw_concurrent_msgs_per_s', float('nan')))} msg/s "
                f"{f.get('raw_concurrency', '?')} at once (ratio to the faster)",
                f"{d['ratio']:.2f}", f">= {f.get('target_ratio', fanout.TARGET_RATIO)}", _met(d["met"]),
            ])  # fmt: skip
            continue
        b, n, ratio = f["baselines"], f["raw_concurrency"], d["ratios"]
        cpu = f"CPU {d['cpu_ms']:.2f} ms/push against {b[f'ours_{n}']['cpu_ms']:.2f} for the raw loop"
        if d.get("machine_cpu") and b[f"ours_{n}"].get("machine_cpu"):
            cpu += "; " + _machine_cpu(d["machine_cpu"], b[f"ours_{n}"]["machine_cpu"])
        rows.append([
            "1", f"fan-out, {f['subscribers']:,} due, limiter off, {kind}{runs}",
            f"{_n(d['pass_msgs_per_s'])} msg/s; {cpu} ({split})",
            f"PTB over our transport: {_n(b[f'ours_{n}']['msgs_per_s'])} msg/s {n} in flight, "
            f"{_n(b['ours_1']['msgs_per_s'])} one at a time; PTB as installed (httpx): "
            f"{_n(b[f'httpx_{n}']['msgs_per_s'])} msg/s {n} in flight, {_n(b['httpx_1']['msgs_per_s'])} one at a time",
            f"{ratio[f'ours_{n}']:.2f} / {ratio['ours_1']:.2f} of ours ({n} / 1)"
            + (f" (each pass over the loop just before it: {', '.join(f'{x:.2f}' for x in d['paired_ratios'])})"
               if "paired_ratios" in d else "") + "; "
            f"{ratio[f'httpx_{n}']:.2f} / {ratio['httpx_1']:.2f} of httpx ({n} / 1)",
            f">= {f['target_ratio']} of ours at {n}", _met(d["met"]),
        ])  # fmt: skip
    return rows


def peak_rows(pk: dict[str, Any]) -> list[list[str]]:
    rows = []
    for kind, d in pk["databases"].items():
        for key in ("paid", "paid_wide"):
            if (p := d.get(key)) is None:
                continue
            rows.append([
                "9", f"peak minute: {p['due']:,} of {_size(pk['stored'])} due at {pk['at']} {pk['zone']}, paid "
                f"broadcasts at {p['rate']:,.0f} msg/s, {p.get('in_flight', 16)} in flight, {kind} (1 run)",
                f"last push {_n(p['last_late_s'], 1)} s after the minute (first {_n(p['first_late_s'], 2)} s); "
                f"{p['sent']:,} sent to {p['chats']:,} chats, {p['chats_twice']} twice; {p['rejected_429']} x 429; "
                f"max {p['max_per_second']}/s" + (
                    f"; CPU {p['cpu_ms']:.2f} ms/push; a claim of 500 {p['claim_ms']:.0f} ms; a journal commit "
                    f"{p['commit_ms']:.1f} ms ({p['pushes_per_commit']:.1f} pushes each)" if "commit_ms" in p else ""),
                f"N / rate = {p['ideal_s']:.0f} s; server 429s past {p['rate']:,.0f}/s",
                f"{p['ideal_s'] / p['last_late_s']:.2f} of the rate" if p["last_late_s"] else "",
                f"<= {p['target_s']:.0f} s, 0 x 429, none twice", _met(p["met"]),
            ])  # fmt: skip
        f = d["free"]
        rows.append([
            "9", f"the same minute at the free rate: {f['due']:,} due, {f['rate']} msg/s, {kind} (1 run)",
            f"last push {_n(f['last_late_s'], 1)} s after the minute (first {_n(f['first_late_s'], 2)} s); "
            f"{f['sent']:,} sent, {f['chats_twice']} twice; {f['rejected_429']} x 429; max {f['max_per_second']}/s",
            f"N / rate = {f['ideal_s']:.0f} s; server 429s past 30/s", "",
            "report; 0 x 429, none twice", _met(f["met"]),
        ])  # fmt: skip
    return rows


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    if (f := results.get("fanout")) is not None:
        rows += fanout_rows(f)
    for key, label in (("limit", "10% groups"), ("limit_private", "private chats only"),
                       ("limit_floods", "10% groups + 2 groups send 22 /done each")):  # fmt: skip
        if (lim := results.get(key)) is None:
            continue
        runs = "" if len(lim["runs"]) > 1 else " (1 run)"
        rows.append([
            "2", f"at the limit: {lim['seconds']} s fan-out, {label}, SQLite{runs}",
            f"{lim['msgs_per_s']:.2f} msg/s; {lim['rejected_429']} x 429; max {lim['max_per_second']}/s; "
            f"max {lim['max_group_per_minute']}/min in a group",
            f"server cap {limit.CAP} msg/s, {limit.GROUP_CAP}/min per group",
            f"{lim['msgs_per_s'] / limit.CAP:.2f} of cap",
            f">= {limit.TARGET} msg/s, 0 x 429, <= {limit.GROUP_CAP}/min", _met(lim["met"]),
        ])  # fmt: skip
    if (d := results.get("due_index")) is not None:
        for kind, curve in d["databases"].items():
            largest = max(curve, key=int)
            c = curve[largest]
            rows.append([
                "3", f"claim {d['claim']:,} due of {_size(largest)} subscriptions, {kind}",
                f"{c['claim_ms']:.1f} ms (the query alone {c['find_ms']:.1f} ms)", "", "",
                f"<= {due_index.CLAIM_TARGET_MS:.0f} ms", _met(c["met"]),
            ])  # fmt: skip
            rows += claim_tail_rows(kind, largest, c.get("tails", {}))
            if "start" in c:
                s = c["start"]
                rows.append([
                    "3", f"start to ready / idle RSS, {_size(largest)} stored, {kind}",
                    f"{s['ready_s']:.2f} s / {s['rss_mb']:.0f} MB", "", "",
                    f"<= {due_index.START_TARGET_S:.0f} s / <= {due_index.RSS_TARGET_MB:.0f} MB",
                    f"{_met(s['ready_s'] <= due_index.START_TARGET_S)} / "
                    f"{_met(s['rss_mb'] <= due_index.RSS_TARGET_MB)}",
                ])  # fmt: skip
        sqlite = d["databases"].get("sqlite", {})
        for size, t in d["tutorial"].items():
            s = sqlite.get(size, {}).get("start")
            if s is None:
                continue
            rows.append([
                "4", f"start to ready / idle RSS, {_size(size)} subscribers, SQLite",
                f"{s['ready_s']:.2f} s / {s['rss_mb']:.0f} MB",
                f"JobQueue.run_daily x {_size(size)}: {t['ready_s']:.2f} s / {t['rss_mb']:.0f} MB",
                f"{s['ready_s'] / t['ready_s']:.2f} / {s['rss_mb'] / t['rss_mb']:.2f}", "lower is better", "–",
            ])  # fmt: skip
    if (r := results.get("replies")) is not None:
        b, p = r["burst"], r["paced"]
        rows.append([
            "5", f"/done replies, {r['updates']:,} queued at once, SQLite ({len(b['runs'])} runs)",
            f"{_n(b['per_s'])}/s; inside the bot p50 {_n(b['p50_ms'], 1)} ms, p99 {_n(b['p99_ms'], 1)} ms"
            + _cpu(b) + _failed(b),
            "", "", f">= {replies.TARGET_PER_S:.0f}/s", _met(r["met_rate"]),
        ])  # fmt: skip
        runs = "" if len(p["runs"]) > 1 else " (1 run)"
        rows.append([
            "5", f"/done replies, {r['updates']:,} offered at {r['offered_rate']:.0f}/s, SQLite{runs}",
            f"{_n(p['per_s'])}/s; inside the bot p50 {_n(p['p50_ms'], 1)} ms, p99 {_n(p['p99_ms'], 1)} ms"
            + _cpu(p) + _failed(p),
            f"server round trip p50 {_n(p['round_trip_p50_ms'], 1)} ms, p99 {_n(p['round_trip_p99_ms'], 1)} ms",
            "", f"p99 <= {replies.TARGET_P99_MS:.0f} ms", _met(r["met_p99"]),
        ])  # fmt: skip
        li = r["light"]
        rows.append([
            "5", f"/done, {r['light_updates']:,} offered at {r['light_rate']:.0f}/s (no queueing), SQLite (1 run)",
            f"inside the bot p50 {_n(li['p50_ms'], 1)} ms, p99 {_n(li['p99_ms'], 1)} ms (mean: core "
            f"{_n(li.get('core ms', math.nan), 2)} + reply send {_n(li.get('reply send ms', math.nan), 2)} ms)",
            f"server round trip p50 {_n(li['round_trip_p50_ms'], 1)} ms, p99 {_n(li['round_trip_p99_ms'], 1)} ms",
            "", f"p99 <= {replies.TARGET_P99_MS:.0f} ms", _met(li["p99_ms"] <= replies.TARGET_P99_MS),
        ])  # fmt: skip
    if (w := results.get("webhook")) is not None and "burst" in w:
        b, p = w["burst"], w["paced"]
        raw = f"the fake POSTing to a server that only answers 200: {_n(w['raw_per_s'])}/s"
        rows.append([
            "6", f"/done through the webhook, {w['updates']:,} queued at once, {w['connections']} connections, "
            f"SQLite ({len(b['runs'])} runs)",
            f"{_n(b['per_s'])}/s; inside the bot p50 {_n(b['p50_ms'], 1)} ms, p99 {_n(b['p99_ms'], 1)} ms"
            + _cpu(b) + _failed(b),
            raw, f"{b['per_s'] / w['raw_per_s']:.2f} of raw", f">= {webhook.TARGET_PER_S:,.0f}/s", _met(w["met_rate"]),
        ])  # fmt: skip
        runs = "" if len(p["runs"]) > 1 else " (1 run)"
        rows.append([
            "6", f"/done through the webhook, {w['updates']:,} offered at {w['offered_rate']:.0f}/s, SQLite{runs}",
            f"{_n(p['per_s'])}/s; inside the bot p50 {_n(p['p50_ms'], 1)} ms, p99 {_n(p['p99_ms'], 1)} ms"
            + _cpu(p) + _failed(p),
            f"server round trip p50 {_n(p['round_trip_p50_ms'], 1)} ms, p99 {_n(p['round_trip_p99_ms'], 1)} ms",
            "", f"p99 <= {webhook.TARGET_P99_MS:.0f} ms", _met(w["met_p99"]),
        ])  # fmt: skip
    if (fl := results.get("fleet")) is not None and "cases" in fl:
        rows += fleet_rows(fl)
    if (dash := results.get("dashboard")) is not None and "pages" in dash:
        rows += dashboard_rows(dash)
    if (rc := results.get("recovery")) is not None and "databases" in rc:
        rows += recovery_rows(rc)
    if (pk := results.get("peak")) is not None and "databases" in pk:
        rows += peak_rows(pk)
    for name, value in results.items():
        if isinstance(value, dict) and "error" in value:
            rows.append(["", f"{name}: did not finish", value["error"], "", "", "", "**no**"])
    return rows


def claim_tail_rows(kind: str, size: str, tails: dict[str, Any]) -> list[list[str]]:
    """Many claims at the largest size with the production grace: the median and the p99 (benchmark 3)."""
    rows = []
    for batch, t in tails.items():
        rows.append([
            "3", f"claim {int(batch):,} due of {_size(size)}, {kind}, grace {t['grace_h']:g} h, "
            f"{len(t['claim_runs_ms'])} claims",
            f"p50 {t['claim_ms']:.1f} ms, p99 {t['claim_p99_ms']:.1f} ms, max {max(t['claim_runs_ms']):.1f} ms (the "
            f"query alone p50 {t['find_ms']:.1f} ms); {t['gc_full']} full GC collections inside them, longest GC "
            f"pause {t['gc_max_ms']:.1f} ms",
            "", "", f"p99 <= {due_index.CLAIM_TARGET_MS:.0f} ms", _met(t["met_p99"]),
        ])  # fmt: skip
    return rows


def recovery_rows(rc: dict[str, Any]) -> list[list[str]]:
    """kill -9 half-way through a fan-out, then a restart at once (benchmark 8)."""
    rows = []
    for kind, r in rc["databases"].items():
        rows.append([
            "8", f"crash recovery: kill -9 at {r['sent_at_kill']:,} of {r['pushes']:,} pushes sent, immediate "
            f"restart, {kind} (1 run)",
            f"the {r['left_at_restart']:,} left all out {r['recovered_s']:.1f} s after the restart (first push after "
            f"{r.get('first_after_s', math.nan):.1f} s; the {r.get('held_at_kill', 0):,} the killed process held "
            f"waited for its lease, {r.get('lease_left_s', math.nan):.1f} s left); {r['unknown']} unknown, "
            f"{r['twice']} sent twice, {r['lost']} lost",
            f"lease {r['lease_s']:g} s, interval {r['interval_s']:g} s; {recovery.IN_FLIGHT} requests in flight", "",
            f"unknown <= {recovery.IN_FLIGHT}, 0 twice, 0 lost", _met(r["met"]),
        ])  # fmt: skip
    return rows


def dashboard_rows(dash: dict[str, Any]) -> list[list[str]]:
    """One row per page: its answer time over HTTP, one request at a time."""
    rows = []
    for page, t in dash["pages"].items():
        rows.append([
            "7", f"dashboard: {page}, {dash['subscribers']:,} subscribers, SQLite, {dash['requests']} requests",
            f"p50 {t['p50_ms']:.1f} ms, p99 {t['p99_ms']:.1f} ms, max {t['max_ms']:.1f} ms ({t['bytes']:,} bytes)",
            "", "", f"p99 < {dashboard.TARGET_MS:.0f} ms", _met(t["p99_ms"] < dashboard.TARGET_MS),
        ])  # fmt: skip
    return rows


def fleet_rows(fl: dict[str, Any]) -> list[list[str]]:
    cases, seconds = fl["cases"], fl["seconds"]
    raw = cases.get("raw", {}).get("msgs_per_s", math.nan)
    rows = []
    for name, c in cases.items():
        if name == "raw":
            continue
        budget = f"{c['budget']:g}/s" + (" as paid broadcasts" if c["cap"] > fleet.FREE_CAP else "")
        scaled = c.get("target_of_budget", False)
        of = "budget" if scaled else "cap"
        rows.append([
            "6", f"fleet, {c['workers']} worker(s), budget {budget}"
            + (f" ({fleet.SCALED_SHARE:g} of the raw rate)" if scaled else "") + f", {seconds} s, PostgreSQL (1 run)",
            f"{c['msgs_per_s']:.1f} msg/s; {c['rejected_429']} x 429; max {c['max_per_second']}/s",
            f"server cap {c['cap']:.0f} msg/s; the machine's raw send rate {_n(raw)} msg/s (1 worker, no pacing)",
            f"{c['of_budget' if scaled else 'of_cap']:.2f} of {of}", f">= {fleet.TARGET_SHARE:.0%} of {of}, 0 x 429",
            _met(c["met"]),
        ])  # fmt: skip
        if "resumed_after_s" in c:
            rows.append([
                "6", f"fleet, SIGKILL of the sending worker, lease {c['lease_s']} s",
                f"its job's pushes resumed after {c['resumed_after_s']:.1f} s", "", "",
                f"<= 1.5 leases + 1 s ({1.5 * c['lease_s'] + 1:.0f} s)",
                _met(c["resumed_after_s"] <= 1.5 * c["lease_s"] + 1),
            ])  # fmt: skip
    return rows


def markdown(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]


def curve_rows(d: dict[str, Any]) -> list[list[str]]:
    """One row per size: claim and query times on each database, start-up and RSS where measured."""
    kinds = list(d["databases"])
    sizes = sorted({int(s) for curve in d["databases"].values() for s in curve})
    rows = []
    for size in sizes:
        row = [_size(size)]
        for kind in kinds:
            c = d["databases"][kind].get(str(size))
            row += [f"{c['claim_ms']:.1f} ({c['find_ms']:.1f})" if c else "–"]
        for kind in kinds:
            s = d["databases"][kind].get(str(size), {}).get("start")
            row += [f"{s['ready_s']:.2f} s / {s['rss_mb']:.0f} MB" if s else "–"]
        t = d["tutorial"].get(str(size))
        row.append(f"{t['ready_s']:.2f} s / {t['rss_mb']:.0f} MB" if t else "–")
        rows.append(row)
    return rows


def report(run: dict[str, Any], profiles: list[Profile]) -> str:
    results = run["results"]
    lines = [*header(run), ""]
    columns = ["#", "what", "studybot", "alternative / limit", "ratio", "target", "met"]
    lines += markdown(columns, summary_rows(results))
    if (d := results.get("due_index")) is not None:
        kinds = list(d["databases"])
        columns = ["subscriptions"]
        columns += [f"claim {d['claim']:,} ms (query alone), {k}" for k in kinds]
        columns += [f"studybot start / RSS, {k}" for k in kinds]
        columns.append("JobQueue start / RSS")
        lines += ["", "Due index: the cost of one claim as the table grows (always ~1,000 due)", ""]
        lines += markdown(columns, curve_rows(d))
    missed = [row[1] for row in summary_rows(results) if "**no**" in row[-1]]
    lines += ["", f"Targets missed: {len(missed)}" + (": " + "; ".join(missed) if missed else "")]
    for profile in profiles:
        lines += ["", "```", render(profile), "```"]
    return "\n".join(lines)
