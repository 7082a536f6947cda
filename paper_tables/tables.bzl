"""The one list of the paper's tables and figures.

Each name is a binary (`bazel run //paper_tables:<name>`) that reads
paper_tables/specs/<name>.pbtxt (embedded profile) or paper_tables/specs/paper/<name>.pbtxt
(--profile=paper). Adding a table is one grid spec per profile and one name here; the
binaries, the tests that run every table and the spec checks take it from this list.
"""

TABLES = [
    "table1",
    "table1_full",
    "table1_extension",
    "table2",
    "table3",
    "lambda_readings",
    "lambda_study",
    "figure_entropy",
    "figure_feature_maps",
    "figure_qualitative",
]

def paper_table_binaries():
    """One cc_binary per table, each passing its name to table_main."""
    for name in TABLES:
        native.cc_binary(
            name = name,
            args = ["--table=" + name],
            data = [
                ":specs",
                "//baselines:specs",
            ],
            deps = [":table_main"],
        )

def table_targets():
    """The binaries' labels, for the data of tests that run every table."""
    return ["//paper_tables:" + name for name in TABLES]
