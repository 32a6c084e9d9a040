"""`make demo`: a password for each person of the demo's people directory who has none, printed once so a
newcomer can sign in to the portal as each role (for this machine only: the passwords are random)."""

from __future__ import annotations

import secrets

from reporting import people
from reporting.portal import accounts


def main() -> None:
    for person in people.load().people:
        if person.password_hash:
            continue
        password = secrets.token_urlsafe(12)
        accounts.add(person.name, password)
        print(f"portal sign-in: {person.name!r} ({', '.join(person.roles)}) password {password}")


if __name__ == "__main__":
    main()
