"""layer2-report: a real Keras run turned into a bilingual teaching site about a CNN's layer 2."""

__version__ = "0.1.0"
