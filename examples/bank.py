"""A tiny bank: the code the README's examples trace."""

import json


class InsufficientFunds(Exception):
    """Raised when an account can't cover a withdrawal."""


class Account:
    """An account with an owner and a balance."""

    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance

    def withdraw(self, amount):
        if amount > self.balance:
            raise InsufficientFunds(f"{self.owner} has only {self.balance}")
        self.balance -= amount
        return self.balance


def transfer(source, target, amount):
    """Move money; a failed transfer is logged and swallowed (the kind of bug hunter helps find)."""
    try:
        source.withdraw(amount)
    except InsufficientFunds:
        return False
    target.deposit(amount)
    return True


def report(*accounts):
    return json.dumps({account.owner: account.balance for account in accounts})
