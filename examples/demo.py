"""Runs the tiny bank; try it with PYTHONHUNTER='module="bank"' python examples/demo.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bank  # found next to this file, via the sys.path entry above


def main():
    ada = bank.Account("ada", 100)
    bob = bank.Account("bob")
    bank.transfer(ada, bob, 30)
    bank.transfer(bob, ada, 500)
    print(bank.report(ada, bob))


if __name__ == "__main__":
    main()
