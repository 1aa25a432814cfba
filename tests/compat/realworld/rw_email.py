"""email: build a multipart message, serialise it and parse it back."""

import email
import email.policy
from email.message import EmailMessage

LIBRARY = "email"


def main():
    message = EmailMessage()
    message["From"] = "Ann <ann@example.org>"
    message["To"] = "bob@example.org"
    message["Subject"] = "Greetings"
    message.set_content("Hello Bob,\nhow are you?\n")
    message.add_attachment(b"\x00\x01data", maintype="application", subtype="octet-stream", filename="x.bin")
    text = message.as_string()
    parsed = email.message_from_string(text, policy=email.policy.default)
    return [part.get_content_type() for part in parsed.walk()], parsed["subject"]
