"""Where candidates are verified and counted: ``local`` (``--jobs N`` candidate worktrees on this machine).

An executor is the loop's verifier stage (``stages.Verifier``): it takes candidates in the loop's order and
gives back their checks; wall-time measuring, confirming and committing stay with the loop, on one host.
"""

from optiloop.executors.local import Evaluation, LocalExecutor

__all__ = ["Evaluation", "LocalExecutor"]
