"""Proofs that the hidden graders are right: coverage of the reference's solution regions,
mutation testing of the reference, and the shared in-process executor both use.

See docs/proofs.md.
"""
