"""Every size limit in one place, so a public server can be tuned without hunting for numbers.

Values and gradients travel to the browser in full: each node's value and gradient once, each
edge's downstream once, and the variables' again at the top of the answer. At about 20 bytes a
number, a graph at the element limit would answer about 60 MB of JSON, so a trace is held to
MAX_ANSWER_BYTES first (budget.py): about 290,000 numbers (`make bench`: the lecture's expression
with W 512×512, 262,144 numbers in W, answers 14.4 MB in about 40 ms). Training and practice
answer a few numbers, and may use the whole element limit.
"""

MAX_EXPRESSION_CHARS = 10_000   # characters in one expression
MAX_NODES = 2_000               # nodes in the computation graph
MAX_EDGES = 4_000               # its edges: a stack's parts, a node's many uses (each is drawn)
MAX_DIM = 10_000                # any one dimension of any array
MAX_ELEMENTS_PER_ARRAY = 1_048_576   # 1024×1024
MAX_ELEMENTS_TOTAL = 1_048_576  # all nodes' arrays together, checked before any is allocated
MAX_JACOBIAN_NUMBERS = 4_096    # a local Jacobian larger than this is sent as null
MAX_BODY_BYTES = 2 * 1024 * 1024  # a request body (Flask's MAX_CONTENT_LENGTH)
MAX_JSON_DEPTH = 32             # arrays and objects nested in a body (a matrix value needs 5)
DOT_TIMEOUT_SECONDS = 10.0      # Graphviz's layout of one graph
# Every API request runs under this deadline (deadline.py), below gunicorn's worker timeout of
# 30 s: past it the work stops and the answer is a 503 that says so; the worker stays up.
REQUEST_SECONDS = 10.0
MAX_ANSWER_BYTES = 16 * 1024 * 1024   # no answer is larger; budget.py refuses one beforehand
# The text the steps write (labels, formulas, LaTeX) grows with each node's label times the edges
# it meets: a stack's parts, or a deep nest whose every label holds the whole nest. Counted as
# label characters × (1 + edges), it is capped here (budget.py): measured, 150,000 characters
# take 0.1–1.5 s (a stack of 220 parts; tanh nested 125 deep) and answer 2–5 MB.
MAX_TEXT_CHARS = 150_000
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
# Each worker keeps its latest compiled structures (compiled.py: the graph, the words and LaTeX
# of both forms, δ names and closed forms), up to this many bytes by their estimate in all: the
# lecture's takes about 60 kB, a 200-layer net's about 5 MB.
STRUCTURE_CACHE_BYTES = 64 * 1024 * 1024
# The scalar view (backprop_viz.scalar) expands every entry into its own node: past this many
# nodes the drawing is unreadable, and the page disables the toggle (`scalar_nodes` says why).
MAX_SCALAR_NODES = 300
# Training (POST /api/train) runs one forward and backward pass per step, and a pass costs, as
# measured here: about 25-40 µs per node or edge (a 200-layer net, 1,004 nodes and 1,003
# edges: 56 ms; a stack of 400 parts, 3 nodes and 400 edges: 7 ms); 10-100 ns per
# number in the graph's arrays (elementwise ops and reductions on 300×300 arrays: 53-77 ms); and
# 1-3 ns per scalar operation (`scalar_nodes`: a 500×500 matrix product is 250 million, 60-300
# ms). So K steps are capped alone and times each of the three, for about 2 s at most; each cap
# allows at least one step of any graph the limits above allow (the most scalar operations 1,048,576
# numbers can hold is one product of two 591×591 matrices, about 0.4 billion).
MAX_TRAIN_STEPS = 1_000
MAX_TRAIN_NODE_STEPS = 40_000              # steps × (nodes + edges): each edge is a VJP
MAX_TRAIN_NUMBER_STEPS = 20_000_000        # steps × numbers in the graph's arrays
MAX_TRAIN_SCALAR_STEPS = 2_000_000_000     # steps × scalar operations (scalar_nodes)
# An every-step PDF lays one page out per step k = 0…N, 20–50 ms each for 10–150 nodes (one
# `dot` per page, two at a time): the lecture's 19 pages take about 0.3 s, 150 pages of a
# 14-layer net about 3 s. Past this many pages it is refused; one step's export is not.
MAX_EXPORT_PAGES = 150
# Besides pages, an every-step PDF is bounded by its layout work: pages × nodes, and its time as
# estimated from the seconds `dot` took over the page's structure (measured once per structure,
# render.py; budget.py adds each page's own costs, its typesetting included). A 56-node chain
# whose edges cross 1,484 ranks takes 2 s a page: its 109 pages were a minute of both cores.
# 2 s estimated, which is about what it takes on a quiet 2-core host (measured 2026-12-03: a
# 5-layer net's 59 pages est. 1.52 s, took 1.53 s, 2.5 s of CPU), so that four such exports at
# once still end before REQUEST_SECONDS (`make load MIX=expensive`): a 5-layer net's 59 pages,
# not a 10-layer net's 109 (est. 3.7 s, took 3.6 s) nor the lecture's scalar view's 109 (est.
# 3.7 s, took 3.0 s).
MAX_EXPORT_NODE_PAGES = 20_000
MAX_EXPORT_SECONDS = 2.0
# The gradient check (gradcheck.py): a variable with at most this many entries has each checked,
# a larger one a random subset of this many. Each check runs 4 forward passes over the nodes
# between the variable and the output; their work in all (numbers read and written by each
# recomputed node, plus GRADCHECK_NODE_WORK for its overhead) is capped, and past the cap the
# check falls back to smaller subsets, then one direction per variable, then one in all.
GRADCHECK_ENTRIES = 64
GRADCHECK_NODE_WORK = 10_000    # a node's Python overhead, in numbers' worth of numpy work
GRADCHECK_MAX_WORK = 50_000_000
# Training on a data set (datasets.py): generated or uploaded, at most this many rows (samples),
# feature columns and classes; the decision boundary is evaluated on a grid of this many points
# a side over the 2-D input plane.
MAX_DATASET_ROWS = 5_000
MAX_DATASET_FEATURES = 100
MAX_DATASET_CLASSES = 20
BOUNDARY_GRID = 40
# Mini-batch SGD (sgd.py) skips the text a trace writes: a step is the forward pass and the op
# table's VJPs at B rows, plus ⌈N / E⌉ forward passes at E rows for the train accuracy. Its
# work, counted as 3 × the numbers in the graph's arrays at B rows plus once those at E rows a
# pass, and SGD_NODE_WORK more for each node of each, is capped in all. Measured here: 1.6-4 ns
# a unit (the spiral's 2-layer net, hidden 50: B = 30, 300 steps in 0.12 s; hidden 200 on 4,800
# rows, B = 1,000, 50 steps in 0.6 s), so the cap is about 2 s.
MAX_SGD_EVAL_ROWS = 500
MAX_SGD_WORK = 600_000_000
SGD_NODE_WORK = 3_000   # a node's Python overhead in a pass, in numbers' worth of numpy work
