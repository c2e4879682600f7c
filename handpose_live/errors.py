"""The one base class of the errors a user can cause: a missing device, a bad file, a wrong option.

Each carries one sentence for the user; the command line prints it and exits with status 2
(never a traceback). Library users catch `UserError` or the specific subclass.
"""


class UserError(Exception):
    """Bad input from the user or their machine: the message is one sentence for them."""
