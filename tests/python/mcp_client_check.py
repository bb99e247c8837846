"""Drives haproxy-mcp-server with the official Python MCP SDK, a client no one here wrote.

Usage: mcp_client_check.py stdio BINARY
       mcp_client_check.py http URL

Lists the tools and calls several (a read, a filtered read, a refusal), checking the answers.
Exits non-zero with a message on the first mismatch.
"""

import logging
import sys

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


def check(cond, message):
    if not cond:
        raise SystemExit(f"FAILED: {message}")


async def exercise(read, write):
    async with ClientSession(read, write) as session:
        init = await session.initialize()
        check(init.server_info.name == "haproxy-mcp-server", f"server name {init.server_info.name!r}")
        tools = await session.list_tools()
        names = {t.name for t in tools.tools}
        for required in ("show_info", "show_stat", "health_summary", "list_servers", "set_weight"):
            check(required in names, f"{required} missing from tools/list")
        info = await session.call_tool("show_info", {})
        check(not info.is_error, f"show_info failed: {info.content}")
        check(info.structured_content["version"].startswith("3.2"), f"version {info.structured_content}")
        stat = await session.call_tool("show_stat", {"proxy": "be_app", "limit": 2})
        check(not stat.is_error, f"show_stat failed: {stat.content}")
        check(len(stat.structured_content["rows"]) == 2, "show_stat limit not applied")
        health = await session.call_tool("health_summary", {})
        check(not health.is_error and "be_app" in health.content[0].text, "health_summary")
        refused = await session.call_tool("show_stat", {"proxy": "be_nope"})
        check(refused.is_error, "a refusal must be an isError result")
        print(f"ok: {len(names)} tools listed, 4 calls checked")


class Warnings(logging.Handler):
    """Collects what the SDK logs at warning level or above (a client should see none)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


async def main():
    mode, where = sys.argv[1], sys.argv[2]
    warnings = Warnings()
    logging.getLogger().addHandler(warnings)
    if mode == "stdio":
        params = StdioServerParameters(command=where, args=["--emulator", "3.2"], env={"LOG_LEVEL": "warn"})
        async with stdio_client(params) as (read, write):
            await exercise(read, write)
    else:
        async with streamable_http_client(where) as streams:
            await exercise(streams[0], streams[1])
        # Closing the session sends DELETE; the SDK warns unless it gets 200 or 204.
        check(not warnings.messages, f"the SDK logged warnings: {warnings.messages}")
        print("ok: the session closed without a warning")


anyio.run(main)
