"""wsol_repositories(): every external repository this project needs, all local.

Call it from a WORKSPACE (ours, or a consumer's after a local_repository/http_archive of
wsol_repro). Each repository wraps a Debian system library installed by tools/setup.sh and
keeps its upstream WORKSPACE name under maybe(), so a consumer's own copy wins.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load("//third_party:stand_ins.bzl", "wsol_stand_ins")
load("//third_party/libtorch:libtorch.bzl", "libtorch_repository")

# Abseil targets we expose, as upstream labels "package:target" -> pkg-config module.
_ABSEIL_TARGETS = {
    "absl/algorithm:container": "absl_algorithm_container",
    "absl/base:core_headers": "absl_core_headers",
    "absl/base": "absl_base",
    "absl/cleanup": "absl_cleanup",
    "absl/container:btree": "absl_btree",
    "absl/container:flat_hash_map": "absl_flat_hash_map",
    "absl/container:flat_hash_set": "absl_flat_hash_set",
    "absl/flags:flag": "absl_flags",
    "absl/flags:parse": "absl_flags_parse",
    "absl/flags:reflection": "absl_flags_reflection",
    "absl/flags:usage": "absl_flags_usage",
    "absl/functional:function_ref": "absl_function_ref",
    "absl/hash": "absl_hash",
    "absl/memory": "absl_memory",
    "absl/random": "absl_random_random",
    "absl/random:distributions": "absl_random_distributions",
    "absl/status": "absl_status",
    "absl/status:statusor": "absl_statusor",
    "absl/strings": "absl_strings",
    "absl/strings:str_format": "absl_str_format",
    "absl/synchronization": "absl_synchronization",
    "absl/time": "absl_time",
    "absl/types:optional": "absl_optional",
    "absl/types:span": "absl_span",
    "absl/types:variant": "absl_variant",
}

def _abseil_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"com_google_absl\")\n")
    packages = {}
    for label, module in ctx.attr.targets.items():
        package, _, target = label.partition(":")
        if not target:
            target = package.split("/")[-1]
        result = ctx.execute(["pkg-config", "--libs", module])
        if result.return_code != 0:
            fail("Abseil module %s not found by pkg-config (%s). Run tools/setup.sh." %
                 (module, result.stderr.strip()))
        flags = [f for f in result.stdout.strip().split(" ") if f]
        packages.setdefault(package, []).append(
            "cc_library(\n    name = %r,\n    linkopts = %r,\n    visibility = [\"//visibility:public\"],\n)\n" %
            (target, flags),
        )
    ctx.file("BUILD.bazel", "")
    for package, rules in packages.items():
        ctx.file(package + "/BUILD.bazel", "# Generated from Debian's libabsl-dev (pkg-config).\n" + "\n".join(rules))

_abseil_repository = repository_rule(
    implementation = _abseil_impl,
    attrs = {"targets": attr.string_dict()},
    local = True,
)

def _system_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    for src, dst in ctx.attr.symlinks.items():
        if not ctx.path(src).exists:
            fail("%s: %s is missing. Run tools/setup.sh to install the system libraries." %
                 (ctx.name, src))
        ctx.symlink(src, dst)
    ctx.symlink(ctx.attr.build_file, "BUILD.bazel")

_system_repository = repository_rule(
    implementation = _system_impl,
    attrs = {
        "build_file": attr.label(allow_single_file = True),
        "symlinks": attr.string_dict(),
    },
    local = True,
)

def wsol_repositories():
    """Declares all repositories; call once from WORKSPACE."""
    wsol_stand_ins()
    maybe(
        _abseil_repository,
        name = "com_google_absl",
        targets = _ABSEIL_TARGETS,
    )
    maybe(
        _system_repository,
        name = "com_google_protobuf",
        build_file = Label("//third_party:protobuf.BUILD"),
        symlinks = {"/usr/bin/protoc": "protoc"},
    )
    maybe(
        _system_repository,
        name = "com_google_googletest",
        build_file = Label("//third_party:googletest.BUILD"),
    )
    maybe(
        _system_repository,
        name = "com_github_google_benchmark",
        build_file = Label("//third_party:benchmark.BUILD"),
    )
    maybe(
        _system_repository,
        name = "zlib",
        build_file = Label("//third_party:zlib.BUILD"),
    )
    maybe(
        _system_repository,
        name = "opencv",
        build_file = Label("//third_party:opencv.BUILD"),
        symlinks = {"/usr/include/opencv4/opencv2": "include/opencv2"},
    )
    maybe(
        libtorch_repository,
        name = "libtorch",
    )
