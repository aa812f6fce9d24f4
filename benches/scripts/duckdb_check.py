#!/usr/bin/env python3
"""Checks a `bench --dump DIR` result against DuckDB running the query's SQL.

Usage: duckdb_check.py DIR QUERY

DIR holds the dumped input (person.csv, auction.csv, bid.csv, or words.csv) and the
query's result.csv. DuckDB runs the standard SQL of QUERY over the input; both results are
sorted and compared row by row, floats to a relative 1e-9. Exits 1 on any difference, and
also when DuckDB is not installed.
"""

import math
import sys

SQL = {
    "q0": "SELECT auction, bidder, price, dateTime, extra FROM bid",
    "q1": "SELECT auction, bidder, CAST(price AS DOUBLE) * 0.908 AS price, dateTime, extra FROM bid",
    "q2": "SELECT auction, price FROM bid WHERE auction % 123 = 0",
    "q3": """
        SELECT P.name, P.city, P.state, A.id
        FROM auction AS A JOIN person AS P ON A.seller = P.id
        WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')""",
    "q4": """
        SELECT Q.category, AVG(Q.final) AS avg
        FROM (SELECT A.id, A.category, MAX(B.price) AS final
              FROM auction AS A JOIN bid AS B ON A.id = B.auction
              WHERE B.dateTime BETWEEN A.dateTime AND A.expires
              GROUP BY A.id, A.category) AS Q
        GROUP BY Q.category""",
    "q5": """
        WITH w AS (
            SELECT auction, dateTime // 2000 * 2000 - k * 2000 AS window_start
            FROM bid, range(0, 5) AS r(k)
            WHERE dateTime // 2000 * 2000 - k * 2000 + 10000 > dateTime),
        counts AS (SELECT window_start, auction, COUNT(*) AS num FROM w GROUP BY ALL)
        SELECT window_start, window_start + 10000 AS window_end, auction, num
        FROM counts AS C
        WHERE num = (SELECT MAX(num) FROM counts AS D WHERE D.window_start = C.window_start)""",
    "q6": """
        WITH now AS (SELECT MAX(t) AS t FROM (SELECT dateTime AS t FROM person
                     UNION ALL SELECT dateTime FROM auction UNION ALL SELECT dateTime FROM bid)),
        winners AS (SELECT A.id, A.seller, A.expires, MAX(B.price) AS price
                    FROM auction AS A JOIN bid AS B ON A.id = B.auction
                    WHERE B.dateTime BETWEEN A.dateTime AND A.expires
                    GROUP BY A.id, A.seller, A.expires),
        closed AS (SELECT W.seller, W.price,
                   ROW_NUMBER() OVER (PARTITION BY W.seller ORDER BY W.expires DESC, W.id DESC) AS n
                   FROM winners AS W, now WHERE W.expires <= now.t)
        SELECT seller, AVG(price) AS avg FROM closed WHERE n <= 10 GROUP BY seller""",
    "q7": """
        SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
        FROM bid AS B
        JOIN (SELECT dateTime // 10000 * 10000 AS w, MAX(price) AS maxprice
              FROM bid GROUP BY 1) AS M
          ON B.dateTime // 10000 * 10000 = M.w AND B.price = M.maxprice""",
    "q8": """
        SELECT DISTINCT P.id, P.name, P.dateTime // 10000 * 10000 AS window_start
        FROM person AS P JOIN auction AS A
          ON P.id = A.seller AND P.dateTime // 10000 * 10000 = A.dateTime // 10000 * 10000""",
    "wordcount": "SELECT word, COUNT(*) AS count FROM words GROUP BY word",
}

TYPES = {
    "person": {"id": "BIGINT", "name": "VARCHAR", "emailAddress": "VARCHAR",
               "creditCard": "VARCHAR", "city": "VARCHAR", "state": "VARCHAR",
               "dateTime": "BIGINT", "extra": "VARCHAR"},
    "auction": {"id": "BIGINT", "itemName": "VARCHAR", "description": "VARCHAR",
                "initialBid": "BIGINT", "reserve": "BIGINT", "dateTime": "BIGINT",
                "expires": "BIGINT", "seller": "BIGINT", "category": "BIGINT",
                "extra": "VARCHAR"},
    "bid": {"auction": "BIGINT", "bidder": "BIGINT", "price": "BIGINT", "channel": "VARCHAR",
            "url": "VARCHAR", "dateTime": "BIGINT", "extra": "VARCHAR"},
    "words": {"word": "VARCHAR"},
}


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
    return a == b


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SQL:
        sys.exit(f"usage: {sys.argv[0]} DIR QUERY  (QUERY: {', '.join(SQL)})")
    directory, query = sys.argv[1], sys.argv[2]
    try:
        import duckdb
    except ImportError:
        sys.exit("error: the Python package duckdb is not installed: run `pip install duckdb`")
    con = duckdb.connect()
    tables = ["words"] if query == "wordcount" else ["person", "auction", "bid"]
    for table in tables:
        columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in TYPES[table].items()) + "}"
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_csv('{directory}/{table}.csv', "
            f"header = true, columns = {columns})"
        )
    expected = con.execute(f"SELECT * FROM ({SQL[query]}) ORDER BY ALL").fetchall()
    got = con.execute(
        f"SELECT * FROM read_csv_auto('{directory}/result.csv', header = true) ORDER BY ALL"
    ).fetchall()
    if len(expected) != len(got):
        sys.exit(f"{query}: DuckDB has {len(expected)} rows, the result {len(got)}")
    for i, (e, g) in enumerate(zip(expected, got)):
        if len(e) != len(g) or not all(same(x, y) for x, y in zip(e, g)):
            sys.exit(f"{query}: row {i} differs: DuckDB {e}, result {g}")
    print(f"{query}: {len(got)} rows match DuckDB")


if __name__ == "__main__":
    main()
