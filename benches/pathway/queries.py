#!/usr/bin/env python3
"""Nexmark q0-q8 and word count on Pathway, over the CSV files `bench --dump` writes.

Usage: queries.py QUERY DIR [--events N]

Reads DIR/person.csv, auction.csv, bid.csv (or words.csv) in static mode, runs the query,
writes DIR/pathway-result.csv, and prints `RESULT {json}` with the elapsed time from
`pw.run()` start to its end and the events per second (N events, default: the input rows).
Worker threads: the PATHWAY_THREADS environment variable.
"""

import argparse
import json
import os
import time

import pathway as pw


class Person(pw.Schema):
    person: int
    name: str
    emailAddress: str
    creditCard: str
    city: str
    state: str
    dateTime: int
    extra: str


class Auction(pw.Schema):
    auction: int
    itemName: str
    description: str
    initialBid: int
    reserve: int
    dateTime: int
    expires: int
    seller: int
    category: int
    extra: str


class Bid(pw.Schema):
    auction: int
    bidder: int
    price: int
    channel: str
    url: str
    dateTime: int
    extra: str


class Word(pw.Schema):
    word: str


def read(directory, name, schema):
    return pw.io.csv.read(os.path.join(directory, name), schema=schema, mode="static")


def renamed(directory, name, key):
    """A copy of the dumped `name` whose `id` column is called `key`, written before the
    clock starts: `id` is Pathway's own row-id column and cannot be read as data."""
    target = os.path.join(directory, f"pathway-{name}")
    with open(os.path.join(directory, name)) as src, open(target, "w") as dst:
        header = src.readline().rstrip("\n").split(",")
        dst.write(",".join(key if c == "id" else c for c in header) + "\n")
        for line in src:
            dst.write(line)
    return f"pathway-{name}"


def q0(d):
    bid = read(d, "bid.csv", Bid)
    return bid.select(pw.this.auction, pw.this.bidder, pw.this.price, pw.this.dateTime, pw.this.extra)


def q1(d):
    bid = read(d, "bid.csv", Bid)
    return bid.select(
        pw.this.auction, pw.this.bidder, price=pw.this.price * 0.908,
        dateTime=pw.this.dateTime, extra=pw.this.extra,
    )


def q2(d):
    bid = read(d, "bid.csv", Bid)
    return bid.filter(pw.this.auction % 123 == 0).select(pw.this.auction, pw.this.price)


def q3(d):
    person = read(d, renamed(d, "person.csv", "person"), Person)
    auction = read(d, renamed(d, "auction.csv", "auction"), Auction)
    sellers = person.filter(
        (pw.this.state == "OR") | (pw.this.state == "ID") | (pw.this.state == "CA")
    )
    opened = auction.filter(pw.this.category == 10)
    return opened.join(sellers, pw.left.seller == pw.right.person).select(
        name=pw.right.name, city=pw.right.city, state=pw.right.state, auction=pw.left.auction
    )


def q4(d):
    auction = read(d, renamed(d, "auction.csv", "auction"), Auction)
    bid = read(d, "bid.csv", Bid)
    joined = auction.join(bid, pw.left.auction == pw.right.auction).select(
        auction=pw.left.auction, category=pw.left.category, opens=pw.left.dateTime,
        expires=pw.left.expires, price=pw.right.price, at=pw.right.dateTime,
    )
    placed = joined.filter((pw.this.at >= pw.this.opens) & (pw.this.at <= pw.this.expires))
    winners = placed.groupby(pw.this.auction, pw.this.category).reduce(
        pw.this.category, final=pw.reducers.max(pw.this.price)
    )
    return winners.groupby(pw.this.category).reduce(
        pw.this.category, avg=pw.reducers.avg(pw.this.final)
    )


def window_start(time, size=10_000):
    """The start of the tumbling window of `size` ms holding `time`."""
    return time // size * size


def q5(d):
    bid = read(d, "bid.csv", Bid)
    # Sliding windows of 10 s every 2 s: a bid is in the five windows starting at the last
    # 2 s boundary at or before it and the four before that (none before time 0).
    placed = [
        bid.select(pw.this.auction, start=window_start(pw.this.dateTime, 2_000) - back)
        for back in range(0, 10_000, 2_000)
    ]
    windowed = placed[0].concat_reindex(*placed[1:]).filter(pw.this.start >= 0)
    counts = windowed.groupby(pw.this.start, pw.this.auction).reduce(
        pw.this.start, pw.this.auction, num=pw.reducers.count()
    )
    most = counts.groupby(pw.this.start).reduce(pw.this.start, most=pw.reducers.max(pw.this.num))
    return counts.join(
        most, pw.left.start == pw.right.start, pw.left.num == pw.right.most
    ).select(
        window_start=pw.left.start, window_end=pw.left.start + 10_000,
        auction=pw.left.auction, num=pw.left.num,
    )


def q6(d):
    auction = read(d, renamed(d, "auction.csv", "auction"), Auction)
    bid = read(d, "bid.csv", Bid)
    person = read(d, renamed(d, "person.csv", "person"), Person)
    joined = auction.join(bid, pw.left.auction == pw.right.auction).select(
        auction=pw.left.auction, seller=pw.left.seller, opens=pw.left.dateTime,
        expires=pw.left.expires, price=pw.right.price, at=pw.right.dateTime,
    )
    placed = joined.filter((pw.this.at >= pw.this.opens) & (pw.this.at <= pw.this.expires))
    winners = placed.groupby(pw.this.auction, pw.this.seller, pw.this.expires).reduce(
        pw.this.auction, pw.this.seller, pw.this.expires, price=pw.reducers.max(pw.this.price)
    )
    times = person.select(pw.this.dateTime).concat_reindex(
        auction.select(pw.this.dateTime), bid.select(pw.this.dateTime)
    )
    now = times.reduce(now=pw.reducers.max(pw.this.dateTime))
    closed = winners.join(now).filter(pw.this.expires <= pw.this.now)
    closed = closed.select(pw.left.seller, pw.left.expires, pw.left.auction, pw.left.price)
    per_seller = closed.groupby(pw.this.seller).reduce(
        pw.this.seller,
        last=pw.reducers.sorted_tuple(
            pw.make_tuple(pw.this.expires, pw.this.auction, pw.this.price)
        ),
    )

    def average_of_last(closed):
        last = closed[-10:]
        return sum(price for _, _, price in last) / len(last)

    return per_seller.select(
        pw.this.seller, avg=pw.apply_with_type(average_of_last, float, pw.this.last)
    )


def q7(d):
    bid = read(d, "bid.csv", Bid)
    windowed = bid.select(*pw.this, start=window_start(pw.this.dateTime))
    highest = windowed.groupby(pw.this.start).reduce(
        pw.this.start, maxprice=pw.reducers.max(pw.this.price)
    )
    return windowed.join(
        highest, pw.left.start == pw.right.start, pw.left.price == pw.right.maxprice
    ).select(
        pw.left.auction, pw.left.price, pw.left.bidder, pw.left.dateTime, pw.left.extra
    )


def q8(d):
    person = read(d, renamed(d, "person.csv", "person"), Person)
    auction = read(d, renamed(d, "auction.csv", "auction"), Auction)
    registered = person.select(
        pw.this.person, pw.this.name, start=window_start(pw.this.dateTime)
    )
    opened = (
        auction.select(pw.this.seller, start=window_start(pw.this.dateTime))
        .groupby(pw.this.seller, pw.this.start)
        .reduce(pw.this.seller, pw.this.start)
    )
    return registered.join(
        opened, pw.left.person == pw.right.seller, pw.left.start == pw.right.start
    ).select(person=pw.left.person, name=pw.left.name, window_start=pw.left.start)


def wordcount(d):
    words = read(d, "words.csv", Word)
    return words.groupby(pw.this.word).reduce(pw.this.word, count=pw.reducers.count())


QUERIES = {
    "q0": q0, "q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6, "q7": q7, "q8": q8,
    "wordcount": wordcount,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query", choices=sorted(QUERIES))
    parser.add_argument("dir")
    parser.add_argument("--events", type=int, help="events to count for events/s")
    args = parser.parse_args()
    result = QUERIES[args.query](args.dir)
    out = os.path.join(args.dir, "pathway-result.csv")
    pw.io.csv.write(result, out)
    started = time.perf_counter()
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    elapsed = time.perf_counter() - started
    with open(out) as f:
        rows = sum(1 for _ in f) - 1
    events = args.events or rows
    print("RESULT " + json.dumps({
        "query": args.query, "system": "pathway", "mode": "batch",
        "workers": int(os.environ.get("PATHWAY_THREADS", "1")), "events": events,
        "elapsed_s": elapsed, "events_per_s": events / elapsed, "updates": rows,
    }))


if __name__ == "__main__":
    main()
