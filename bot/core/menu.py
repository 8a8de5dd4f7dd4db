"""Which commands work where, described once: the source of /help, Telegram's command menus and Discord's slash
commands. A DM is a person's own plan; in a group every member studies, and its admins run it."""

from __future__ import annotations

from bot.core.i18n import Messages


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return message


# The longest note /done keeps (Discord's option says so too).
MAX_NOTE = 500

# (command, description), in /help's order.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Welcome and how studybot works")),
    ("help", N_("Every command, in one list")),
    ("subscribe", N_("Get each day's topic at your time: /subscribe 08:30 Asia/Shanghai")),
    ("unsubscribe", N_("Stop the daily topic (your progress is kept)")),
    ("today", N_("Today's topic")),
    ("week", N_("This week's seven topics")),
    ("done", N_("Mark today's topic done, with an optional note; /done 12 marks day 12")),
    ("catchup", N_("The days you missed, to open or mark done")),
    ("notes", N_("What you wrote with /done: /notes or /notes week 3")),
    ("streak", N_("Your streak of study days and your streak freezes")),
    ("progress", N_("How far you are in the plan")),
    ("time", N_("Change the daily time: /time 08:30")),
    ("timezone", N_("Change the time zone: /timezone Europe/London")),
    ("lang", N_("Change the language: /lang zh or /lang en")),
    ("days", N_("Admins: the study days: /days mon-fri")),
    ("pace", N_("Your pace: /pace calendar or /pace self")),
    ("nudge", N_("A reminder when the day is not done: /nudge 19:00, /nudge off")),
    ("settings", N_("Show your settings")),
    ("dashboard", N_("Your progress and settings in a browser: a personal sign-in link")),
    ("leaderboard", N_("Who is ahead in this group, this week and all time")),
    ("members", N_("Admins: every member's progress and the corrections made")),
    ("mark", N_("Admins: mark a member's day done: /mark 12")),
    ("unmark", N_("Admins: undo a mark: /unmark 12")),
    ("pause", N_("Admins: pause the daily topic: /pause, or /pause 3 for 3 days")),
    ("resume", N_("Admins: resume where you left off")),
    ("goto", N_("Admins: jump to a plan day: /goto 29 or /goto week 5")),
    ("restart", N_("Admins: go through the plan again from day 1")),
    ("export", N_("Your data as a JSON file")),
    ("forget", N_("Delete everything stored about this chat")),
)
IN_DM = ("start", "help", "subscribe", "unsubscribe", "today", "week", "done", "catchup", "notes", "streak",
         "progress", "time", "timezone", "lang", "days", "pace", "nudge", "pause", "resume", "goto", "restart",
         "settings", "dashboard", "export", "forget")  # fmt: skip
FOR_MEMBERS = ("start", "help", "today", "week", "done", "catchup", "notes", "streak", "progress", "leaderboard",
               "settings", "dashboard", "forget")  # fmt: skip
FOR_ADMINS = ("subscribe", "unsubscribe", "time", "timezone", "lang", "days", "pause", "resume", "goto", "restart",
              "members", "mark", "unmark", "forget")  # fmt: skip
# A person's own, in their DM only: a group answers them with where to go.
DM_ONLY = frozenset({"pace", "nudge", "export"})
# Only admins may use these in a group (in a DM the person is their own admin); the rest are everyone's.
ADMIN_ONLY = frozenset(FOR_ADMINS) - frozenset(FOR_MEMBERS)
# Where a command means something else, or is for everyone, its description says so.
IN_DM_DESCRIPTIONS = {
    "days": N_("Your study days: /days mon-fri (rest days keep your streak)"),
    "pause": N_("Pause the daily topic: /pause, or /pause 3 for 3 days (your streak is safe)"),
    "resume": N_("Resume where you left off"),
    "goto": N_("Jump to a plan day: /goto 29 or /goto week 5"),
    "restart": N_("Go through the plan again, from day 1 or only the days not done"),
    "export": N_("Your data as a JSON file"),
    "forget": N_("Delete everything stored about you"),
}
FOR_MEMBERS_DESCRIPTIONS = {"forget": N_("/forget me: delete only your own days and notes here")}
_DESCRIPTIONS = dict(COMMANDS)


def dm_menu() -> list[tuple[str, str]]:
    return [(name, IN_DM_DESCRIPTIONS.get(name, _DESCRIPTIONS[name])) for name in IN_DM]


def member_menu() -> list[tuple[str, str]]:
    return [(name, FOR_MEMBERS_DESCRIPTIONS.get(name, _DESCRIPTIONS[name])) for name in FOR_MEMBERS]


def admin_menu() -> list[tuple[str, str]]:
    """A group admin's: every member's command, then the admins' own."""
    members = [(name, text) for name, text in member_menu() if name not in FOR_ADMINS]
    return members + [(name, _DESCRIPTIONS[name]) for name in FOR_ADMINS]


def help_text(m: Messages, in_group: bool) -> str:
    """The commands that work in this chat, the streak rules, and what the bot keeps about whom."""
    rules = [m._("🔥 Streaks count study days with a /done. A 7-day run earns a streak freeze 🧊 (you hold at most "
                 "2); a missed study day spends one instead of breaking your streak. Rest days (/days) and paused "
                 "days neither break nor grow a streak.")]  # fmt: skip
    if not in_group:
        lines = [m._("Commands:")] + [f"/{name} — {m._(text)}" for name, text in dm_menu()]
        lines += ["", *rules,
                  "", m._("In a study group there is also /leaderboard, and for its admins /members, /mark and "
                          "/unmark. /pace, /nudge and /export work here only."),
                  "", m._("What I keep about you: your settings, and the days you marked done with their notes, here "
                          "and in groups. /export sends it all as a file; /forget deletes all of it.")]  # fmt: skip
        return "\n".join(lines)
    lines = [m._("For everyone here:")]
    lines += [f"/{name} — {m._(text)}" for name, text in member_menu()]
    lines += ["", m._("For this group's admins:")]
    lines += [f"/{name} — {m._(_DESCRIPTIONS[name])}" for name in FOR_ADMINS]
    lines += ["", *rules, m._("Your own pace, nudges and data export: in a DM with me.")]
    lines += ["", m._("What I keep: the group's settings, each member's days done with their notes, and the admins' "
                      "corrections. /forget me deletes only your own days and notes (corrections about you too); an "
                      "admin's /forget deletes everything about the group.")]  # fmt: skip
    return "\n".join(lines)
