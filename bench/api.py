"""API load benchmark on loopback: GraphQL vs a bare Starlette endpoint doing the same reads.

    .venv/bin/python bench/api.py [--clients 1,16,64] [--requests 3000] [--seconds 10] [--workers 1]
    .venv/bin/python bench/api.py --in-process [--requests 3000] [--seconds 10]

Uses NEO4J_URI / NEO4J_PASSWORD / REDIS_URL when set, else the local services (`c360 services start`).
It loads a small `bench-` retailer (one customer with 50 orders of 2 lines, a loyalty card, two stores),
puts that customer's offer list in Redis, starts `--workers` uvicorn processes (uvloop, httptools), each on a
listening socket of its own on one port as `c360 serve --workers` does (c360.listeners), and drives them from
this process over keep-alive HTTP/1.1 connections, one per client. For each scenario (kiosk offers by card, the
customer-360 query, recordEvent) and client count it prints p50/p99 latency, requests/s and the CPU time per
request of the server processes and of the load generator, for GraphQL and for the bare endpoint, and their
ratios (the server's CPU says whether the server or the generator sharing its cores is the limit). Each run
stops after `--requests` requests or `--seconds` seconds, whichever comes first. `--in-process` starts no
server: it calls the ASGI app in this process, one request at a time, and prints each side's CPU time per request
too, the application's own cost without HTTP parsing or a load generator sharing the cores (so the GraphQL
overhead it shows is the quietest figure on a busy machine).
At the end the bench retailer, the `bench-` events recordEvent added and the offers it put in Redis are
removed again.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KIOSK = """query Kiosk($card: String!, $store: ID!) {
  nextBestOffers(identity: {kind: LOYALTY_CARD, value: $card}, store: $store, channel: KIOSK, limit: 10) {
    customerId computedAt modelVersion source fallbackUsed
    offers { reasonCode reason product { id name price { amount currency } } }
    suppressed { reason product { id } } } }"""
CUSTOMER_360 = """query Customer360($id: ID!) { customer(id: $id) {
  id firstName lastName birthday tags contact { email phone address } loyalty { tier points }
  identities { kind value channel } consents { purpose medium granted updatedAt }
  homeStore { id name } value { totalSpend { amount currency } orderCount firstPurchaseAt lastPurchaseAt }
  orders(first: 50) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id placedAt channel total { amount } store { id name }
            lines { lineNo quantity amount { amount } product { id name brand { name } } } } }
  events(first: 10) { id kind occurredAt product { id name } }
  timeline(first: 5) { at kind reference channel } } }"""
EVENT = """mutation Event($input: EventInput!) { recordEvent(input: $input) { eventId created errors { field } } }"""
SCAN = """query Scan($card: String!) { customerByIdentity(kind: LOYALTY_CARD, value: $card) { customerSession } }"""
CUSTOMER, CARD, STORE = "bench-C1", "bench-card-1", "bench-S1"
EVENT_CUSTOMER, EVENT_CARD = "bench-C2", "bench-card-2"  # recordEvent writes here: the customer 360 keeps its size
STORES, PRODUCTS, ORDERS, VIEWS = ("bench-S1", "bench-S2"), 20, 50, 10   # what bench_data writes


# ---------------------------------------------------------------- data
def write_csv(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    with (folder / f"{name}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def bench_data(folder: Path) -> Path:
    """A `bench-` retailer: 20 products, 2 stores, one customer with 50 orders (2 lines each)."""
    r = "bench-R"
    write_csv(folder, "retailers", [{"retailer_id": r, "name": "Bench", "currency": "EUR", "timezone": "UTC"}])
    write_csv(folder, "stores", [{"store_id": store, "retailer_id": r, "name": f"Bench store {i}",
                                  "format": "super", "region_id": ""} for i, store in enumerate(STORES, 1)])
    write_csv(folder, "brands", [{"brand_id": "bench-B", "name": "Bench brand"}])
    write_csv(folder, "products", [{"product_id": f"bench-P{i}", "retailer_id": r, "name": f"Bench product {i}",
                                    "category_id": "", "brand_id": "bench-B", "price": f"{i}.50",
                                    "is_consumable": "true", "package_size": ""} for i in range(PRODUCTS)])
    write_csv(folder, "store_products", [{"store_id": STORE, "product_id": f"bench-P{i}", "stock": 5,
                                          "source": "bench"} for i in range(15)])
    write_csv(folder, "customers", [{"customer_id": CUSTOMER, "retailer_id": r, "first_name": "Bea",
                                     "last_name": "Bench", "email": "bea@bench.example", "phone": "+1555",
                                     "address": "1 Bench Road", "birthday": "1980-01-01", "loyalty_tier": "gold",
                                     "loyalty_points": "10", "tags": "bench", "home_store_id": STORE},
                                    {"customer_id": EVENT_CUSTOMER, "retailer_id": r, "first_name": "Ben",
                                     "last_name": "Bench", "email": "", "phone": "", "address": "", "birthday": "",
                                     "loyalty_tier": "", "loyalty_points": "", "tags": "", "home_store_id": STORE}])
    write_csv(folder, "identities", [{"customer_id": customer, "kind": "loyalty_card", "value": card,
                                      "channel_id": "pos", "since": ""}
                                     for customer, card in ((CUSTOMER, CARD), (EVENT_CUSTOMER, EVENT_CARD))])
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    write_csv(folder, "orders", [{"order_id": f"bench-O{n}", "retailer_id": r, "customer_id": CUSTOMER,
                                  "store_id": STORES[n % 2], "channel_id": "pos",
                                  "placed_at": (t0 + timedelta(days=n)).isoformat(), "kind": "purchase"}
                                 for n in range(ORDERS)])
    write_csv(folder, "order_lines", [{"order_id": f"bench-O{n}", "line_no": k, "product_id": f"bench-P{(n + k) % 20}",
                                       "quantity": 1, "unit_price": "1.00", "amount": "1.00", "discount": "0"}
                                      for n in range(ORDERS) for k in (1, 2)])
    write_csv(folder, "events", [{"event_id": f"bench-E{n}", "customer_id": CUSTOMER, "kind": "view",
                                  "product_id": f"bench-P{n}", "channel_id": "web", "store_id": "", "query": "",
                                  "occurred_at": (t0 + timedelta(days=60, hours=n)).isoformat()} for n in range(VIEWS)])
    return folder


def prepare(targets: Any) -> tuple[str, bool]:
    """Load the bench retailer (idempotent) and put the customer's offers into the current offer version;
    (that version, whether this created it because there was none)."""
    from c360 import connect
    from loaders.canonical import load_dir
    from recsys import keys, offers

    graph, cache = connect.graph(targets), connect.cache(targets)
    with tempfile.TemporaryDirectory() as tmp:
        load_dir(graph, bench_data(Path(tmp)), progress=False)
    version = offers.current_version(cache) or "bench"
    entries = [[f"bench-P{i}", 1 - i / 30, "buy_again", None, None] for i in range(0, 20, 2)]
    cache.set(keys.customer_offers(CUSTOMER, version), offers.encode_list(
        "bench", datetime.now(timezone.utc).isoformat(), "model", entries, []))
    cache.sadd(keys.store_assortment(STORE, version), *[f"bench-P{i}" for i in range(15)])
    cache.set(keys.popular_at_store(STORE, version), offers.encode_popular([(f"bench-P{i}", 1.0) for i in range(5)]))
    created = offers.current_version(cache) is None
    if created:
        offers.switch(cache, version)
    graph.close()
    cache.close()
    return version, created


def clean_up(targets: Any, version: str, created: bool, event_ids: list[str]) -> None:
    """Remove what prepare() and the recordEvent runs wrote: the graph and the offer store are as before."""
    from c360 import connect
    from graph.admin import delete_nodes
    from recsys import keys, offers

    graph, cache = connect.graph(targets), connect.cache(targets)
    nodes = {"Event": [f"bench-E{n}" for n in range(VIEWS)] + event_ids,
             "Order": [f"bench-O{n}" for n in range(ORDERS)],
             "Identity": [f"bench-R:loyalty_card:{card}" for card in (CARD, EVENT_CARD)],
             "Customer": [CUSTOMER, EVENT_CUSTOMER], "Product": [f"bench-P{i}" for i in range(PRODUCTS)],
             "Brand": ["bench-B"], "Store": list(STORES), "Retailer": ["bench-R"]}
    removed = sum(delete_nodes(graph, label, ids) for label, ids in nodes.items())
    if created:
        offers.abandon(cache, version)
        cache.delete(keys.versions())
    else:
        cache.delete(keys.customer_offers(CUSTOMER, version), keys.store_assortment(STORE, version),
                     keys.popular_at_store(STORE, version), *(keys.identity_holder("loyalty_card", card, version)
                                                             for card in (CARD, EVENT_CARD)))
    print(f"\nremoved the bench retailer ({removed} nodes) and its offers from version {version}"
          + (" (which it had created)" if created else ""))
    graph.close()
    cache.close()


# ---------------------------------------------------------------- server (child process)
def bare_routes() -> list[Any]:
    """The same reads as the three GraphQL operations, written straight against the services."""
    from anyio import to_thread
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from api.dataloaders import Loaders
    from graph.profiles import OrderPage, ProfileParts, customer_profiles, known_ids
    from recsys.realtime import record_event

    def dump(data: Any) -> Response:
        return Response(json.dumps(data, default=str), media_type="application/json")

    async def kiosk(request: Request) -> Response:
        services = request.app.state.services
        loaders = Loaders.create(services.graph, services.catalog)
        customer_id = await services.offers.customer_id_by_identity("loyalty_card", request.query_params["card"])
        nbo = await services.offers.next_best_offers(customer_id, channel="kiosk",
                                                     store_id=request.query_params["store"], limit=10)
        products = await loaders.product_by_id.load_many([o.product_id for o in nbo.offers])
        return dump({"customerId": customer_id, "computedAt": nbo.computed_at, "source": nbo.source,
                     "modelVersion": nbo.model_version, "fallbackUsed": nbo.fallback_used,
                     "offers": [{"reasonCode": o.reason_code, "reason": o.reason,
                                 "product": p and {"id": p["product_id"], "name": p["name"],
                                                   "price": p["price_minor"]}}
                                for o, p in zip(nbo.offers, products)],
                     "suppressed": [{"reason": s.reason, "product": s.product_id} for s in nbo.suppressed]})

    async def customer(request: Request) -> Response:
        services = request.app.state.services
        loaders = Loaders.create(services.graph, services.catalog)
        parts = ProfileParts(orders=OrderPage(first=50), events_first=10, timeline_first=5)
        [p] = await customer_profiles(services.graph, [request.query_params["id"]], parts)
        ids = sorted({line["product_id"] for o in p["orders"] for line in o["lines"]}
                     | {e["product_id"] for e in p["events"] if e.get("product_id")})
        stores = sorted({o["store_id"] for o in p["orders"] if o.get("store_id")} | {p["home_store_id"]})
        products, shops = await asyncio.gather(loaders.product_by_id.load_many(ids),
                                               loaders.store_by_id.load_many(stores))
        names = {i: r["name"] for i, r in zip(ids, products) if r}
        store_names = {i: r["name"] for i, r in zip(stores, shops) if r}
        p["orders"] = [{**o, "store": store_names.get(o.get("store_id")),
                        "lines": [{**line, "product_name": names.get(line["product_id"])} for line in o["lines"]]}
                       for o in p["orders"]]
        return dump(p)

    async def event(request: Request) -> Response:
        services = request.app.state.services
        body = await request.json()
        known = await known_ids(services.graph, customers=[body["customer_id"]], products=[body["product_id"]],
                                stores=[body["store_id"]])
        if len(known["customers"]) + len(known["products"]) + len(known["stores"]) < 3:
            return JSONResponse({"created": False, "errors": [{"field": "customer"}]})
        created = await to_thread.run_sync(record_event, services.write_graph, services.cache, body)
        return JSONResponse({"created": created})

    return [Route("/bare/kiosk", kiosk), Route("/bare/customer", customer), Route("/bare/event", event,
                                                                                   methods=["POST"])]


def serve(port: int, ready: Path) -> None:
    """One server process listening on a socket of its own on `port` (c360.listeners); creates `ready` once it
    serves."""
    import uvicorn
    import uvloop

    from c360.listeners import reuse_port_socket

    app = app_for_bench()
    server = uvicorn.Server(uvicorn.Config(app, loop="none", http="httptools", access_log=False,
                                           log_level="warning"))
    listener = reuse_port_socket("127.0.0.1", port)

    async def run() -> None:
        serving = asyncio.create_task(server.serve([listener]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        ready.touch()
        await serving

    uvloop.run(run())


# ---------------------------------------------------------------- load generator
@dataclass
class Run:
    latencies_ns: list[int]
    seconds: float
    errors: int
    server_cpu_s: float = 0.0       # the server processes' CPU time during the run (over HTTP only)
    generator_cpu_s: float = 0.0    # this process's

    def line(self) -> str:
        lat = sorted(self.latencies_ns)
        p50, p99 = lat[len(lat) // 2] / 1e6, lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1e6
        line = f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {len(lat) / self.seconds:8.0f} req/s"
        if self.server_cpu_s:
            line += (f"  CPU ms/request: server {self.server_cpu_s * 1e3 / len(lat):5.3f}, "
                     f"generator {self.generator_cpu_s * 1e3 / len(lat):5.3f}")
        return line

    @property
    def p99(self) -> float:
        lat = sorted(self.latencies_ns)
        return lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1e6

    @property
    def rate(self) -> float:
        return len(self.latencies_ns) / self.seconds


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


def failed(status: int, body: bytes, graphql: bool) -> bool:
    """An answer that is not a success: not 200, a GraphQL error, or a mutation error (`field`)."""
    return status != 200 or (graphql and b'"message"' in body) or b'"field"' in body


async def client(port: int, make: Any, quota: list[int], deadline: float, out: list[int], bad: list[int],
                 check: Any) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while quota[0] > 0 and time.perf_counter() < deadline:
            quota[0] -= 1
            request = make()
            start = time.perf_counter_ns()
            status, body = await exchange(reader, writer, request)
            out.append(time.perf_counter_ns() - start)
            if failed(status, body, check):
                bad.append(1)
    finally:
        writer.close()


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes `pids` have used so far (Linux's /proc)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])    # utime and stime, the stat file's 14th and 15th fields
    return ticks / os.sysconf("SC_CLK_TCK")


async def drive(port: int, make: Any, clients: int, requests: int, seconds: float, check: bool,
                servers: list[int]) -> Run:
    warm: list[int] = []
    await asyncio.gather(*(client(port, make, [50], time.perf_counter() + seconds, warm, [], check)
                           for _ in range(min(clients, 4))))
    out: list[int] = []
    bad: list[int] = []
    quota = [requests]
    server_cpu, own_cpu = cpu_seconds(servers), time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(client(port, make, quota, start + seconds, out, bad, check) for _ in range(clients)))
    return Run(out, time.perf_counter() - start, len(bad), cpu_seconds(servers) - server_cpu,
               time.process_time() - own_cpu)


def session_request(key: str, card: str) -> bytes:
    """What a kiosk does first: scan the card; the customerSession it gets lets it name the customer by id."""
    body = json.dumps({"query": SCAN, "variables": {"card": card}}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    return http_request("POST", "/graphql", body, headers)


def session_of(answer: bytes) -> str:
    return str(json.loads(answer)["data"]["customerByIdentity"]["customerSession"])


async def customer_session(port: int, key: str, card: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return session_of((await exchange(reader, writer, session_request(key, card)))[1])
    finally:
        writer.close()


def scenarios(keys: dict[str, str], event_ids: list[str], session: str) -> dict[str, tuple[Any, Any]]:
    """name -> (GraphQL request factory, bare request factory); the ids of the events sent go to `event_ids`;
    `session` is the kiosk's customer session for EVENT_CUSTOMER."""
    def gql(document: str, role: str, variables: Any, session: str | None = None) -> Any:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {keys[role]}"}
        headers |= {"X-Customer-Session": session} if session else {}
        fixed = http_request("POST", "/graphql", json.dumps({"query": document, "variables": variables}).encode(),
                             headers) if not callable(variables) else None
        return (lambda: fixed) if fixed else (lambda: http_request(
            "POST", "/graphql", json.dumps({"query": document, "variables": variables()}).encode(), headers))

    def bare(method: str, path: str, body: Any = None) -> Any:
        if body is None:
            fixed = http_request(method, path, b"", {})
            return lambda: fixed
        return lambda: http_request(method, path, json.dumps(body()).encode(), {"Content-Type": "application/json"})

    counter = iter(range(10**9))
    run_id = secrets.token_hex(3)

    def event_id(kind: str) -> str:
        event_ids.append(f"bench-{run_id}-{kind}{next(counter)}")
        return event_ids[-1]

    def event_input() -> dict[str, Any]:
        return {"input": {"eventId": event_id("g"), "kind": "VIEW", "channel": "KIOSK",
                          "customer": EVENT_CUSTOMER, "product": "bench-P3", "store": STORE}}

    def bare_event() -> dict[str, Any]:
        return {"event_id": event_id("b"), "kind": "view", "channel_id": "kiosk",
                "customer_id": EVENT_CUSTOMER, "product_id": "bench-P3", "store_id": STORE}

    return {
        "kiosk offers": (gql(KIOSK, "kiosk", {"card": CARD, "store": STORE}),
                         bare("GET", f"/bare/kiosk?card={CARD}&store={STORE}")),
        "customer 360 (50 orders)": (gql(CUSTOMER_360, "service_desk", {"id": CUSTOMER}),
                                     bare("GET", f"/bare/customer?id={CUSTOMER}")),
        "recordEvent": (gql(EVENT, "kiosk", event_input, session), bare("POST", "/bare/event", bare_event)),
    }


def wait_ready(ready: Path, child: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if child.poll() is not None:
            raise SystemExit("a server process exited; see its output above")
        if ready.exists():
            return
        time.sleep(0.1)
    raise SystemExit("a server process did not start within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,16,64", help="comma-separated concurrent client counts")
    parser.add_argument("--requests", type=int, default=3000, help="requests per run (upper bound)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per run (upper bound)")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--workers", type=int, default=1, help="server processes (as `c360 serve --workers`)")
    parser.add_argument("--in-process", action="store_true",
                        help="no server: call the ASGI app in this process, one request at a time, and print "
                             "CPU time per request (the application's own cost, without HTTP or the load generator)")
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_port is not None:
        serve(args.serve_port, args.ready)
        return 0
    import uvloop

    from c360 import connect
    from c360.listeners import hold_port
    from c360.settings import load_settings

    targets = connect.targets(load_settings())
    version, created = prepare(targets)
    event_ids: list[str] = []
    keys = {role: f"bench-{role}-{secrets.token_hex(8)}" for role in ("kiosk", "service_desk")}
    env = {**os.environ, "C360_API_KEYS": ",".join(f"{k}:{role}" for role, k in keys.items()),
           "C360_SESSION_SECRET": secrets.token_urlsafe(32)}      # one for every server process
    if args.in_process:
        os.environ.update(env)        # the app reads its keys and session secret from the settings
        try:
            uvloop.run(in_process(keys, args, event_ids))
        finally:
            clean_up(targets, version, created, event_ids)
        return 0
    held = hold_port("127.0.0.1", 0)
    port = held.getsockname()[1]
    flags = Path(tempfile.mkdtemp(prefix="bench-api-"))
    children = [subprocess.Popen([sys.executable, __file__, "--serve-port", str(port),
                                  "--ready", str(flags / f"ready-{n}")], env=env)
                for n in range(args.workers)]
    try:
        for n, child in enumerate(children):
            wait_ready(flags / f"ready-{n}", child)
        report(port, [child.pid for child in children], keys, args, uvloop, event_ids)
    finally:
        for child in children:
            child.terminate()
            child.wait(10)
        held.close()
        shutil.rmtree(flags)
        clean_up(targets, version, created, event_ids)
    return 0


def report(port: int, servers: list[int], keys: dict[str, str], args: argparse.Namespace, uvloop: Any,
           event_ids: list[str]) -> None:
    counts = [int(c) for c in args.clients.split(",")]
    print(f"bench/api.py: uvicorn ({args.workers} worker process(es)) on 127.0.0.1:{port}; "
          f"<= {args.requests} requests or {args.seconds:.0f} s per run")
    session = uvloop.run(customer_session(port, keys["kiosk"], EVENT_CARD))
    for name, (gql, bare) in scenarios(keys, event_ids, session).items():
        if args.only and args.only not in name:
            continue
        print(f"\n{name}")
        for clients in counts:
            g = uvloop.run(drive(port, gql, clients, args.requests, args.seconds, True, servers))
            b = uvloop.run(drive(port, bare, clients, args.requests, args.seconds, False, servers))
            errors = f"  ERRORS {g.errors}+{b.errors}" if g.errors or b.errors else ""
            print(f"  {clients:3d} clients  graphql {g.line()}")
            cpu = g.server_cpu_s / len(g.latencies_ns) / (b.server_cpu_s / len(b.latencies_ns) or float("nan"))
            print(f"               bare    {b.line()}   overhead x{b.rate / g.rate:4.2f} (req/s), "
                  f"x{g.p99 / b.p99:4.2f} (p99), x{cpu:4.2f} (server CPU){errors}")


# ---------------------------------------------------------------- in-process
def app_for_bench() -> Any:
    """The app as `c360 serve` builds it, plus the bare endpoints."""
    from api.app import create_app
    from c360.commands.serve import api_config
    from c360.settings import load_settings

    app = create_app(api_config(load_settings(), graphiql=False))
    app.router.routes.extend(bare_routes())
    return app


def asgi_request(request: bytes) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope and body of a raw HTTP/1.1 request as http_request writes it."""
    head, _, body = request.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode().split("\r\n")
    method, target, _ = request_line.split(" ")
    path, _, query = target.partition("?")
    headers = [(name.strip().lower().encode(), value.strip().encode())
               for name, value in (line.split(":", 1) for line in header_lines)]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}, body


async def asgi_exchange(app: Any, scope: dict[str, Any], body: bytes) -> tuple[int, bytes]:
    """(status, body) of one request through the ASGI app, no socket and no HTTP parser."""
    sent, status, chunks = False, 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Future()     # the request was read whole: nothing more comes (no disconnect either)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def drive_in_process(app: Any, make: Any, requests: int, seconds: float, check: bool) -> tuple[Run, float]:
    """One request at a time (after 50 to warm up); the run and the CPU milliseconds per request."""
    for _ in range(50):
        await asgi_exchange(app, *asgi_request(make()))
    out: list[int] = []
    bad = 0
    start, cpu = time.perf_counter(), time.process_time()
    while len(out) < requests and time.perf_counter() - start < seconds:
        scope, body = asgi_request(make())
        began = time.perf_counter_ns()
        status, answer = await asgi_exchange(app, scope, body)
        out.append(time.perf_counter_ns() - began)
        bad += failed(status, answer, check)
    return Run(out, time.perf_counter() - start, bad), (time.process_time() - cpu) * 1e3 / max(len(out), 1)


async def in_process(keys: dict[str, str], args: argparse.Namespace, event_ids: list[str]) -> None:
    app = app_for_bench()
    print(f"bench/api.py --in-process: the ASGI app called in this process, one request at a time; "
          f"<= {args.requests} requests or {args.seconds:.0f} s per run")
    async with app.router.lifespan_context(app):
        session = session_of((await asgi_exchange(app, *asgi_request(session_request(keys["kiosk"], EVENT_CARD))))[1])
        for name, (gql, bare) in scenarios(keys, event_ids, session).items():
            if args.only and args.only not in name:
                continue
            g, g_cpu = await drive_in_process(app, gql, args.requests, args.seconds, True)
            b, b_cpu = await drive_in_process(app, bare, args.requests, args.seconds, False)
            errors = f"  ERRORS {g.errors}+{b.errors}" if g.errors or b.errors else ""
            print(f"\n{name}\n  graphql {g.line()}  CPU {g_cpu:6.3f} ms/request")
            print(f"  bare    {b.line()}  CPU {b_cpu:6.3f} ms/request   overhead x{g_cpu / b_cpu:4.2f} (CPU){errors}")


if __name__ == "__main__":
    sys.exit(main())
