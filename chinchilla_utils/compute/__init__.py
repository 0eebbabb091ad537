"""Compute accounting: what a training run costs.

- :mod:`~chinchilla_utils.compute.flops`: FLOPs and parameters of a transformer, the ``6ND``
  rule and the paper's Appendix F count (``TransformerShape``).
- :mod:`~chinchilla_utils.compute.cost`: FLOPs to PF-days, accelerator-days and dollars for a
  named accelerator at a stated utilisation.
"""
