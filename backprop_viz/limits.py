"""Every size limit in one place, so a public server can be tuned without hunting for numbers."""

MAX_EXPRESSION_CHARS = 10_000   # characters in one expression
MAX_NODES = 2_000               # nodes in the computation graph
MAX_DIM = 10_000                # any one dimension of any array
MAX_ELEMENTS_PER_ARRAY = 1_000_000
MAX_ELEMENTS_TOTAL = 1_000_000  # all nodes' arrays together, checked before any is allocated
MAX_JACOBIAN_NUMBERS = 4_096    # a local Jacobian larger than this is sent as null
DEFAULT_FIRST_DIM = 3           # free dimensions get 3, 4, 5, … in order of first appearance
