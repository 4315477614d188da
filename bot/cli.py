"""The command line: the same engine as the Discord bot, no token needed.

Errors a person can fix (an empty question, an unknown document, a missing
folder) print one line on stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Sequence

# numpy's OpenBLAS starts one spinning thread per core when numpy is imported (~0.1 s of
# CPU on every CLI call, taken from the main thread on a busy machine); StoryBot does no
# linear algebra. Set before numpy's first import (bot.engine below); a user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bot.config import ConfigError, database_folder_problem, load_settings  # noqa: E402
from bot.engine import Engine, EngineError, UnknownDocument  # noqa: E402
from bot.build import KnowledgeFolderError  # noqa: E402
from bot.store import StoreError  # noqa: E402

EXIT_USAGE = 2


class CliError(Exception):
    """A one-line message for stderr and exit status 2."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--knowledge", metavar="DIR", help="articles folder (env STORYBOT_KNOWLEDGE_DIR, default ./knowledge)")
    p.add_argument("--db", metavar="FILE", help="database file (env STORYBOT_DB, default ./storybot.db)")


def version() -> str:
    """The installed package's version (pyproject.toml), or "unknown" when run from a bare checkout."""
    from importlib import metadata  # ~25 ms of imports: only for --version

    try:
        return metadata.version("storybot")
    except metadata.PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for (argparse's own action needs the string
    when the parser is built, i.e. on every command)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"storybot {version()}")  # on stdout, as argparse's own version action prints it
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """The top-level parser: its description (bot/render/help.py) is made when help is
    shown, not by every command (a cold `ask` imported the help text for nothing)."""

    lazy_description = False  # set on the top-level parser only (its subparsers share the class)

    def format_help(self) -> str:
        if self.lazy_description and self.description is None:
            from bot.render.help import cli_description

            self.description = cli_description()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="storybot", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Example: storybot ask "Who is ByteDance?"   ·   storybot COMMAND --help for its options.',
    )
    parser.lazy_description = True
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("ask", help="answer a question with quotes from the articles")
    p.add_argument("question")
    p.add_argument("--document", help="only this article (its id)")
    _common(p)
    p = sub.add_parser("who", help="what the articles say about a person or organisation")
    p.add_argument("name")
    _common(p)
    p = sub.add_parser("summary", help="an extractive summary of one article or the whole story")
    p.add_argument("document", nargs="?")
    _common(p)
    p = sub.add_parser("sources", help="list the loaded articles")
    _common(p)
    p = sub.add_parser("index", help="build or refresh the database and say what changed")
    p.add_argument("--force", action="store_true", help="re-read every file")
    p.add_argument("--verbose", action="store_true", help="list every added, changed, removed and refused file")
    _common(p)
    p = sub.add_parser("eval", help="score a question set: Recall@1, Recall@3, abstention accuracy")
    p.add_argument("file")
    _common(p)
    p = sub.add_parser("timeline", help="dated events in date order, each a cited quote")
    p.add_argument("topic", nargs="?", default="")
    p.add_argument("--document", help="only this article (its id)")
    _common(p)
    p = sub.add_parser("said", help="what the articles report a person or organisation said")
    p.add_argument("name")
    _common(p)
    p = sub.add_parser("whatsnew", help="what an article says that earlier articles did not (default: the newest)")
    p.add_argument("document", nargs="?")
    _common(p)
    p = sub.add_parser("add", help="fetch an article from a link, save it to the knowledge folder, reload")
    p.add_argument("url")
    p.add_argument("--replace", action="store_true", help="replace an article with the same name")
    _common(p)
    p = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    _common(p)
    p = sub.add_parser("sync", help="push the slash commands to Discord now")
    _common(p)
    p = sub.add_parser("health", help="exit 0 if the database reads and the running bot's gateway heartbeat is fresh")
    p.add_argument("--max-age", type=float, default=None, metavar="SECONDS", help="oldest acceptable heartbeat (default 90)")
    _common(p)
    return parser


def _engine(args: argparse.Namespace) -> Engine:
    settings = load_settings()
    knowledge = Path(args.knowledge) if args.knowledge else settings.knowledge_dir
    db = Path(args.db) if args.db else settings.db_path
    problem = database_folder_problem(db)
    if problem is not None:
        raise CliError(problem)
    engine = Engine(knowledge, db)
    try:
        engine.open_for_queries()  # read-only when the database is up to date
    except KnowledgeFolderError as exc:
        raise CliError(str(exc)) from None
    except StoreError as exc:
        raise CliError(str(exc)) from None
    return engine


class _Progress:
    """A progress bar on stderr for an `index` run longer than a second, only on a
    terminal (tqdm's `delay`); quiet when piped. Files parsed count up; the writing
    that follows shows as "saving", kept alive by a heartbeat so a long write is
    never a silent terminal."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        self.stop = threading.Event()
        self.lock = threading.Lock()
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit="file", desc="reading", delay=1.0, leave=False, file=sys.stderr)
            threading.Thread(target=self._beat, daemon=True).start()

    def _beat(self) -> None:
        while not self.stop.wait(0.25):
            with self.lock:
                self.bar.update(0)  # lets tqdm show itself once `delay` has passed

    def tick(self, done: int, total: int) -> None:
        if self.bar is None:
            return
        with self.lock:
            if self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)
            if done >= total:
                self.bar.set_description("saving", refresh=False)

    @property
    def callback(self) -> Any:
        return self.tick if self.bar is not None else None

    def close(self) -> None:
        self.stop.set()
        if self.bar is not None:
            with self.lock:
                self.bar.close()


def _print(obj: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False))
    else:
        print(text)


def _non_empty(value: str, what: str) -> str:
    if not value or not value.strip():
        raise CliError(f"empty {what}: give some words")
    return value


def run_command(args: argparse.Namespace) -> int:
    from bot.render import jsonout, text

    style = text.Style.for_stream(sys.stdout)

    if args.command == "run":
        from bot.chat.runner import run_bot

        return run_bot(knowledge=args.knowledge, db=args.db)
    if args.command == "sync":
        from bot.chat.runner import sync_commands

        return sync_commands(knowledge=args.knowledge, db=args.db)
    if args.command == "ask":
        question = _non_empty(args.question, "question")
        engine = _engine(args)
        try:
            answer = engine.ask(question, document=args.document)
        except UnknownDocument as exc:
            raise CliError(f"{exc}; see `storybot sources`") from None
        _print(jsonout.answer_json(answer), args.json, text.render_answer(answer, style))
    elif args.command == "who":
        name = _non_empty(args.name, "name")
        engine = _engine(args)
        card = engine.who(name)
        _print(jsonout.card_json(card), args.json, text.render_card(card, style))
    elif args.command == "summary":
        engine = _engine(args)
        try:
            s = engine.summary(args.document)
        except UnknownDocument as exc:
            raise CliError(f"{exc}; see `storybot sources`") from None
        _print(jsonout.summary_json(s), args.json, text.render_summary(s, style))
    elif args.command == "sources":
        engine = _engine(args)
        docs = engine.documents()
        rows = [{"document": d.id, "title": d.title, "date": d.date, "url": d.url, "passages": d.passages,
                 "outlet": d.source, "authors": list(d.authors)} for d in docs]
        _print({"documents": rows}, args.json, text.render_sources(docs, style))
    elif args.command == "index":
        settings = load_settings()
        knowledge = Path(args.knowledge) if args.knowledge else settings.knowledge_dir
        db = Path(args.db) if args.db else settings.db_path
        if not knowledge.is_dir():  # before creating anything
            raise CliError(f"knowledge folder not found: {knowledge}")
        try:
            db.parent.mkdir(parents=True, exist_ok=True)  # `index` creates the database's folder on purpose
        except OSError as exc:
            raise CliError(f"cannot create the database folder {db.parent}: {exc.strerror or exc}") from None
        engine = Engine(knowledge, db)
        progress = _Progress(not args.json)
        try:
            report = engine.refresh(force=args.force, progress=progress.callback)  # (no writer when current)
        except (KnowledgeFolderError, StoreError) as exc:
            raise CliError(str(exc)) from None
        finally:
            progress.close()
        _print(jsonout.report_json(report), args.json, "\n".join(report.summary_lines(verbose=args.verbose)))
    elif args.command in ("timeline", "said", "whatsnew", "add"):
        return _story_command(args)
    elif args.command == "health":
        from bot.health import MAX_AGE_SECONDS, check_health

        settings = load_settings()
        health = check_health(Path(args.db) if args.db else settings.db_path,
                              max_age=args.max_age if args.max_age is not None else MAX_AGE_SECONDS)
        _print({"ok": health.ok, "checks": list(health.lines)}, args.json, "\n".join(health.lines))
        return 0 if health.ok else 1
    elif args.command == "eval":
        from bot.evaluate import EvalFileError, evaluate, load_questions

        try:
            items = load_questions(Path(args.file))
        except EvalFileError as exc:
            raise CliError(str(exc)) from None
        engine = _engine(args)
        result = evaluate(engine, items)
        lines = [
            f"Recall@1: {result.recall1:.3f} ({result.hit1}/{result.answerable})",
            f"Recall@3: {result.recall3:.3f} ({result.hit3}/{result.answerable})",
            f"Abstention accuracy: {result.abstention_accuracy:.3f} "
            f"(unanswerable abstained {result.abstained_right}/{result.unanswerable}, "
            f"answerable abstained {result.abstained_wrong})",
            f"False abstentions: {result.abstained_wrong}/{result.answerable} ({result.false_abstention_rate:.1%})",
        ] + [f"Abstained ({tag}): {share:.3f} ({result.by_tag[tag][0]}/{result.by_tag[tag][1]})"
             for tag, share in result.abstention_by_tag().items()
        ] + [f"  {f['id']}: {f['problem']}: {f['q']}" for f in result.failures]
        _print(result.as_dict(), args.json, "\n".join(lines))
    return 0


def _story_command(args: argparse.Namespace) -> int:
    """The story tools (README "Story tools")."""
    from bot.render import story

    if args.command == "timeline":
        engine = _engine(args)
        try:
            t = engine.timeline(args.topic or "", document=args.document)
        except UnknownDocument as exc:
            raise CliError(f"{exc}; see `storybot sources`") from None
        _print(story.timeline_json(t), args.json, story.render_timeline(t))
    elif args.command == "said":
        name = _non_empty(args.name, "name")
        engine = _engine(args)
        r = engine.said(name)
        titles = {d.id: d.title for d in engine.documents()}
        _print(story.said_json(r), args.json, story.render_said(r, titles))
    elif args.command == "whatsnew":
        engine = _engine(args)
        try:
            w = engine.whatsnew(args.document)
        except UnknownDocument as exc:
            raise CliError(f"{exc}; see `storybot sources`") from None
        _print(story.whatsnew_json(w), args.json, story.render_whatsnew(w))
    elif args.command == "add":
        from bot.ingest.fetch import policy_from

        url = _non_empty(args.url, "link")
        settings = load_settings()
        engine = _engine(args)
        result = engine.add_article_from_url(url, f"cli ({os.environ.get('USER') or 'local'})",
                                             policy_from(settings), replace=args.replace)
        _print(story.add_url_json(result), args.json, story.render_add_url(result))
        return 0 if result.ok else EXIT_USAGE
    return 0


def quiet_library_logs() -> None:
    """Without a handler, Python prints WARNING records to stderr (`logging.lastResort`):
    an engine warning ("reload failed, …") would stand as a stray line before the
    CLI's own one-line error. The CLI commands report what matters themselves, so
    their library logs go nowhere; `run` and `sync` install real handlers
    (bot/chat/runner.py) and are not quieted."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command not in ("run", "sync"):
        quiet_library_logs()
    try:
        return run_command(args)
    except CliError as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"storybot: configuration: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (EngineError, StoreError) as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `storybot ask … | head`: the reader went away; not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
