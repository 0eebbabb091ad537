"""chinchilla_utils: the tested code behind the Chinchilla reproduction book.

One concept a module: ``flops`` (compute accounting), ``budget`` (FLOPs to PF-days,
accelerator-days and dollars), ``laws`` (scaling laws as objects), ``fitting`` (the three
approaches and their bootstraps), ``data`` (the paper's tables), ``epoch`` (Epoch AI's points),
``plotting`` (the book's figure style), ``notebook`` (glue and parameter checks), and the
optional ``sweep`` (the laptop training sweep, needs torch).
"""

__version__ = "0.1.0"
