"""Local stand-ins for the repositories Bazel 4.2's WORKSPACE suffix would download.

Bazel 4.2 appends http_archive rules for rules_cc, rules_java, rules_proto and
remote_coverage_tools to every WORKSPACE. With no network those fetches fail, so we
define the same names first (the suffix uses maybe() or is shadowed by the earlier
definition) as tiny repositories that re-export Bazel's native rules.
"""

_NATIVE_CC_RULES = [
    "cc_binary",
    "cc_import",
    "cc_library",
    "cc_proto_library",
    "cc_test",
    "cc_toolchain",
    "cc_toolchain_suite",
    "fdo_prefetch_hints",
    "fdo_profile",
    "objc_import",
    "objc_library",
]

_NATIVE_JAVA_RULES = [
    "java_binary",
    "java_import",
    "java_library",
    "java_lite_proto_library",
    "java_package_configuration",
    "java_plugin",
    "java_proto_library",
    "java_runtime",
    "java_test",
    "java_toolchain",
]

_NATIVE_PROTO_RULES = [
    "proto_lang_toolchain",
    "proto_library",
]

def _reexports(rules):
    lines = []
    for rule in rules:
        lines.append("def {r}(**attrs):\n    native.{r}(**attrs)\n".format(r = rule))
    return "\n".join(lines)

_COVERAGE_BUILD = """\
# Stand-in for Bazel's coverage output generator, which cannot be downloaded here.
sh_binary(
    name = "coverage_output_generator",
    srcs = ["coverage_unavailable.sh"],
    visibility = ["//visibility:public"],
)
sh_binary(
    name = "coverage_report_generator",
    srcs = ["coverage_unavailable.sh"],
    visibility = ["//visibility:public"],
)
sh_binary(
    name = "lcov_merger",
    srcs = ["coverage_unavailable.sh"],
    visibility = ["//visibility:public"],
)
"""

_COVERAGE_SCRIPT = """\
#!/bin/sh
echo "bazel coverage is not available: Bazel's coverage output generator is" >&2
echo "downloaded from the network, which this build never reaches." >&2
exit 1
"""

def _stand_in_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    for path, content in ctx.attr.files.items():
        executable = path.endswith(".sh")
        ctx.file(path, content, executable = executable)

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {"files": attr.string_dict()},
    local = True,
)

def wsol_stand_ins():
    """Defines rules_cc, rules_java, rules_proto and remote_coverage_tools locally."""
    existing = native.existing_rules()
    if "rules_cc" not in existing:
        _stand_in(
            name = "rules_cc",
            files = {
                "BUILD.bazel": "",
                "cc/BUILD.bazel": "exports_files(['defs.bzl'])\n",
                "cc/defs.bzl": _reexports(_NATIVE_CC_RULES),
            },
        )
    if "rules_java" not in existing:
        _stand_in(
            name = "rules_java",
            files = {
                "BUILD.bazel": "",
                "java/BUILD.bazel": "exports_files(['defs.bzl'])\n",
                "java/defs.bzl": _reexports(_NATIVE_JAVA_RULES),
            },
        )
    if "rules_proto" not in existing:
        _stand_in(
            name = "rules_proto",
            files = {
                "BUILD.bazel": "",
                "proto/BUILD.bazel": "exports_files(['defs.bzl'])\n",
                "proto/defs.bzl": _reexports(_NATIVE_PROTO_RULES),
            },
        )
    if "remote_coverage_tools" not in existing:
        _stand_in(
            name = "remote_coverage_tools",
            files = {
                "BUILD.bazel": _COVERAGE_BUILD,
                "coverage_unavailable.sh": _COVERAGE_SCRIPT,
            },
        )
