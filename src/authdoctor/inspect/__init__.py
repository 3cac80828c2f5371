"""What the machine and the Terraform directory already know, read locally (`authdoctor doctor`).

Nothing here reads a secret out: of the key id only its first four characters
leave this package, of a secret or a token only whether it is set and what
kinds of characters it holds. The result is hints in the KB's own vocabulary
(kb/hints.yaml), so the engine weighs them like any other answer, and findings:
plain sentences for the report, each naming the signs (cause ids) it shows.
No network call is made unless `probe_imds` is asked for.
"""
from __future__ import annotations

from .machine import Finding, Inspection, inspect_machine

__all__ = ["Finding", "Inspection", "inspect_machine"]
