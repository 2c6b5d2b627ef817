"""A Python asyncio service (standard library only) on the other side of
contextvars/propagation: it reads the W3C `baggage` header of each request
into its own `ContextVar`s, does its work, calls the Node service back with
the values it holds (plus one of its own), and answers with them in its
body and in a `baggage` response header.

    python3 service.py    # prints the port it listens on, on 127.0.0.1

Each connection runs in its own asyncio task, so the values one request
sets never reach another: Python's contextvars, as the TypeScript library
reproduces them.
"""

import asyncio
import json
import sys
from contextvars import ContextVar
from urllib.parse import quote, unquote

# The variables this service declares, by baggage key, with their codecs.
tenant: ContextVar[str] = ContextVar("tenant")
user: ContextVar[int] = ContextVar("user")
via: ContextVar[str] = ContextVar("via")
DECLARED = {"tenant": (tenant, str, str), "user": (user, int, str), "via": (via, str, str)}

MAX_MEMBERS = 64
MAX_LENGTH = 8192


def extract(header: str) -> None:
    """Sets the declared variables found in `header`; anything else, or malformed, is ignored."""
    if len(header) > MAX_LENGTH:
        header = header[: max(header.rfind(",", 0, MAX_LENGTH + 1), 0)]
    for member in header.split(",")[:MAX_MEMBERS]:
        key, separator, rest = member.partition("=")
        declared = DECLARED.get(unquote(key.strip()))
        if not separator or declared is None:
            continue
        variable, decode, _ = declared
        try:
            variable.set(decode(unquote(rest.split(";", 1)[0].strip(), errors="strict")))
        except ValueError:
            continue  # a value that does not decode is dropped; the request goes on


def inject() -> str:
    """The baggage header for the declared variables that have a value here."""
    members = []
    for key, (variable, _, encode) in DECLARED.items():
        value = variable.get(None)
        if value is not None:
            members.append(f"{key}={quote(encode(value), safe='')}")
    return ",".join(members)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    request_line = (await reader.readline()).decode("latin-1").strip()
    headers: dict[str, str] = {}
    while True:
        line = (await reader.readline()).decode("latin-1").strip()
        if not line:
            break
        name, _, value = line.partition(":")
        name = name.strip().lower()
        # A repeated header joins as one list, as HTTP says.
        headers[name] = f"{headers[name]},{value.strip()}" if name in headers else value.strip()
    return request_line.split(" ")[1] if " " in request_line else "/", headers


async def call_back(port: int) -> str:
    """GET /callback on the Node service, with this request's values as baggage."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /callback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nbaggage: {inject()}\r\n"
        "Connection: close\r\n\r\n".encode("latin-1")
    )
    await writer.drain()
    response = (await reader.read()).decode("utf-8")
    writer.close()
    await writer.wait_closed()
    return response.split("\r\n\r\n", 1)[1]


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    path, headers = await read_request(reader)
    extract(headers.get("baggage", ""))
    await asyncio.sleep(0.001)  # other requests run meanwhile
    via.set("python")
    callback_port = int(headers.get("x-callback-port", "0"))
    called_back = await call_back(callback_port) if callback_port else None
    body = json.dumps(
        {"path": path, "tenant": tenant.get(None), "user": user.get(None), "calledBack": called_back}
    ).encode("utf-8")
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"baggage: {inject()}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode("latin-1")
        + body
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
