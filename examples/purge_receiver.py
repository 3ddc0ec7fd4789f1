"""A webhook receiver that purges Varnish by tag (see examples/varnish.vcl).

    WEBHOOK_SECRET=whsec_… VARNISH_URL=http://127.0.0.1:6081 python examples/purge_receiver.py

Create the webhook with ``POST /api/v1/webhooks {"url": "https://this-host:8099/"}``; the
response's ``secret`` is WEBHOOK_SECRET. Each delivery is verified with the
``standardwebhooks`` library (a forged or replayed one is refused with 400), then one BAN
request drops every cached response carrying one of the event's tags. A 2xx tells the API
the delivery arrived; anything else makes it retry.
"""

from __future__ import annotations

import os
import re
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

VERIFIER = Webhook(os.environ["WEBHOOK_SECRET"])
VARNISH = os.environ.get("VARNISH_URL", "http://127.0.0.1:6081")
PORT = int(os.environ.get("PORT", "8099"))


def ban(tags: list[str]) -> None:
    pattern = "|".join(re.escape(tag) for tag in tags)
    request = urllib.request.Request(VARNISH, method="BAN", headers={"X-Purge-Regex": pattern})
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = VERIFIER.verify(body, dict(self.headers.items()))
        except WebhookVerificationError:
            self.send_response(400)
            self.end_headers()
            return
        tags = event["data"]["tags"]
        try:
            ban(tags)
        except OSError:
            self.send_response(503)  # Varnish unreachable: the API retries later
            self.end_headers()
            return
        print(f"{event['type']} {event['data']['type']} {event['data']['id']}: banned {tags}")
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
