#!/usr/bin/env python3
"""An SMTP sink for the email end-to-end tests (tests/e2e/email_test.cc).

Listens on 127.0.0.1 with Debian's aiosmtpd (python3-aiosmtpd) and writes every message it
accepts as one JSON file in OUT_DIR (NNNNNN.json, written whole then renamed), decoded by Python's
email package: envelope, headers (RFC 2047 decoded), the text/plain and text/html parts. The port
goes to PORT_FILE once the server accepts connections. A test stops it with SIGTERM.
"""
import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": list(envelope.rcpt_tos),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "date": str(msg.get("Date", "")),
            "messageId": str(msg.get("Message-ID", "")),
            "eventId": str(msg.get("X-Billing-Event-Id", "")),
            "contentLanguage": str(msg.get("Content-Language", "")),
            "contentType": msg.get_content_type(),
            "parts": [part.get_content_type() for part in msg.walk()],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "defects": [type(d).__name__ for d in msg.defects],
        }
        with self.lock:
            self.count += 1
            name = "%06d.json" % self.count
        tmp = os.path.join(self.out_dir, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.out_dir, name))
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    out_dir, port_file = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else free_port()
    controller = Controller(Sink(out_dir), hostname="127.0.0.1", port=port)
    controller.start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
