"""Executes a notebook with nbclient, recording every failed cell as an error output.

Used by scripts/notebooks.ts. The tslab kernel reports a failing cell in its execute reply (and
prints the error to stderr) but sends no `error` message, so with allow_errors a failure would
leave no trace a renderer can find; here each failing reply becomes an `error` output on its cell.
A timeout or a dead kernel ends the run: the notebook so far is written, the cell marked, exit 1.

usage: python3 execute.py IN.ipynb OUT.ipynb TIMEOUT_SECONDS KERNEL_NAME
"""
import os
import sys

import nbformat
from nbclient import NotebookClient

src, dst, timeout, kernel = sys.argv[1:5]
nb = nbformat.read(src, as_version=4)
current = {"cell": None}


def mark(cell, ename, evalue, traceback=()):
    if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        cell.setdefault("outputs", []).append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=list(traceback)))


def on_cell_execute(cell, cell_index):
    current["cell"] = cell


def on_cell_executed(cell, cell_index, execute_reply):
    content = execute_reply.get("content", {})
    if content.get("status") == "error":
        mark(cell, content.get("ename") or "Error", content.get("evalue") or "the cell failed (see its output)", content.get("traceback") or ())


client = NotebookClient(
    nb,
    timeout=int(timeout),
    kernel_name=kernel,
    allow_errors=True,
    resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    on_cell_execute=on_cell_execute,
    on_cell_executed=on_cell_executed,
)
code = 0
try:
    client.execute()
except Exception as e:  # timeout, dead kernel: keep what ran, mark where it stopped
    if current["cell"] is not None:
        mark(current["cell"], type(e).__name__, str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__)
    print(f"execute.py: {type(e).__name__}: {e}", file=sys.stderr)
    code = 1
nbformat.write(nb, dst)
sys.exit(code)
