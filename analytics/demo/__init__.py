"""The demo: 45 days of six services generated deterministically, with the engines run over them."""
