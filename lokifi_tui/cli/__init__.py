"""The ``lokifi`` command line: every analysis as a subcommand, human output (rich) and ``--json``."""
