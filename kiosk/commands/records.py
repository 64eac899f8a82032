"""The shop's tools on the journal: ``kiosk history``, ``show``, ``reconcile``, ``reprint``, ``report``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from kiosk.commands import common
from kiosk.config import shop_timezone


def history(args: argparse.Namespace) -> int:
    from kiosk.store.views import history_json, history_text

    settings = common.settings(args)
    tz = shop_timezone(settings)
    day = args.date or datetime.now(tz).date()
    with common.journal(args, read_only=True) as journal:
        records = journal.sales_on(day, tz)
    print(history_json(records) if args.json else history_text(records, settings.shop.language, tz))
    return 0


def show(args: argparse.Namespace) -> int:
    from kiosk.store.views import sale_json, sale_text

    settings = common.settings(args)
    from kiosk.store.taps import taps_json, taps_of, taps_text

    with common.journal(args, read_only=True) as journal:
        record = journal.get(args.reference)
        taps = taps_of(journal, args.reference)
    if record is None:
        print(f"kiosk: no sale has reference {args.reference}", file=sys.stderr)
        return 1
    print(sale_json(record, taps_json(taps)) if args.json else sale_text(record, shop_timezone(settings)) + taps_text(
        taps, shop_timezone(settings)))
    return 0


def reconcile(args: argparse.Namespace) -> int:
    from kiosk.commands.reconcile import reconcile as run_reconcile

    settings = common.settings(args)
    with common.journal(args) as journal:
        return run_reconcile(settings, common.api_key(settings), journal, as_json=args.json)


def reprint(args: argparse.Namespace) -> int:
    if not args.last and not args.reference:
        print("kiosk: name a REFERENCE or use --last", file=sys.stderr)
        return 2
    with common.journal(args) as journal:
        record = journal.last_paid() if args.last else journal.get(args.reference)
        if record is None or record.phase.value != "paid":
            print("kiosk: no such paid sale to reprint", file=sys.stderr)
            return 1
        job = journal.enqueue_reprint(record.reference, datetime.now(UTC))
    print(f"receipt for {record.reference} queued (job {job.job_id}); the running kiosk prints it")
    return 0


def report(args: argparse.Namespace) -> int:
    from kiosk.outputs.report import compute_report, format_report, print_report

    settings = common.settings(args)
    tz = shop_timezone(settings)
    day = args.date or datetime.now(tz).date()
    with common.journal(args, read_only=not args.close) as journal:
        report = compute_report(journal.sales_on(day, tz), day, tz=tz, closing=args.close)
        if args.close and not journal.close_day(day, datetime.now(UTC)):
            print(f"kiosk: {day} was already closed at {journal.closed_at(day)}", file=sys.stderr)
            return 1
    title = "Z" if args.close else "X"
    print("\n".join(format_report(report, settings.shop.language, shop_name=settings.shop.name)))
    if args.to_printer:
        print_report(report, settings, title=title)
    return 0
