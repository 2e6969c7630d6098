"""Every size limit in one place, so a public server can be tuned without hunting for numbers.

Values and gradients travel to the browser in full: each node's value and gradient once, each
edge's downstream once, and the variables' again at the top of the answer. At about 20 bytes a
number, a graph at the element limit answers in about 60 MB of JSON (`make bench`: the lecture's
expression with W 512×512, 262,144 numbers in W, answers 14.4 MB in about 40 ms).
"""

MAX_EXPRESSION_CHARS = 10_000   # characters in one expression
MAX_NODES = 2_000               # nodes in the computation graph
MAX_DIM = 10_000                # any one dimension of any array
MAX_ELEMENTS_PER_ARRAY = 1_048_576   # 1024×1024
MAX_ELEMENTS_TOTAL = 1_048_576  # all nodes' arrays together, checked before any is allocated
MAX_JACOBIAN_NUMBERS = 4_096    # a local Jacobian larger than this is sent as null
MAX_BODY_BYTES = 2 * 1024 * 1024  # a request body (Flask's MAX_CONTENT_LENGTH)
DOT_TIMEOUT_SECONDS = 10.0      # Graphviz's layout of one graph
# `dot`'s cost grows with the ranks its edges span (each rank crossed is a virtual node), and
# edge labels multiply it. Measured here: a span of 1,500 lays out with labels in 0.5 s;
# without edge labels a span of 10,000 takes 0.4–2 s and 18,000 about 4 s. Past the first the
# graph is drawn without edge labels (values stay in the nodes and the step panel); past the
# second it is refused, so no request holds a worker for long.
LAYOUT_SPAN_LABELLED = 1_500
LAYOUT_SPAN_MAX = 8_000
# Free dimensions get these in turn, in order of first appearance: distinct for the first few
# (W is 3×4 in the lecture's expression), small for many (a 300-variable graph stays small).
DEFAULT_DIMS = (3, 4, 5, 6, 7)
# Each worker remembers the SVG layouts of its latest structures, by the SHA-256 of their DOT,
# up to this many bytes of SVG in all (the lecture's is about 9 kB, a 200-layer net about 1 MB).
LAYOUT_CACHE_BYTES = 32 * 1024 * 1024
# The gradient check (gradcheck.py): a variable with at most this many entries has each checked,
# a larger one a random subset of this many. Each check runs 4 forward passes over the nodes
# between the variable and the output; their work in all (numbers read and written by each
# recomputed node, plus GRADCHECK_NODE_WORK for its overhead) is capped, and past the cap the
# check falls back to smaller subsets, then one direction per variable, then one in all.
GRADCHECK_ENTRIES = 64
GRADCHECK_NODE_WORK = 10_000    # a node's Python overhead, in numbers' worth of numpy work
GRADCHECK_MAX_WORK = 50_000_000
