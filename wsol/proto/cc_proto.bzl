"""wsol_cc_proto_library: C++ code from .proto files with the system protoc.

Bazel 4.2's native proto rules want protobuf's sources; we compile with Debian's protoc
(protobuf-compiler) and link Debian's libprotobuf, which are the same version.
"""

def _proto_gen_impl(ctx):
    hdrs = []
    srcs = []
    proto_paths = {}
    for src in ctx.files.srcs:
        stem = src.basename[:-len(".proto")]
        hdrs.append(ctx.actions.declare_file(stem + ".pb.h"))
        srcs.append(ctx.actions.declare_file(stem + ".pb.cc"))
    outs = hdrs + srcs
    all_protos = depset(ctx.files.srcs, transitive = [d[_ProtoSources].protos for d in ctx.attr.deps])
    for f in all_protos.to_list():
        root = f.owner.workspace_root or "."
        proto_paths[root] = True
    out_root = ctx.bin_dir.path
    if ctx.label.workspace_root:
        out_root += "/" + ctx.label.workspace_root
    args = ctx.actions.args()
    for path in proto_paths.keys():
        args.add("--proto_path=" + path)
    args.add("--cpp_out=" + out_root)
    args.add_all(ctx.files.srcs)
    ctx.actions.run(
        executable = ctx.executable._protoc,
        arguments = [args],
        inputs = all_protos,
        outputs = outs,
        mnemonic = "ProtocCpp",
        progress_message = "protoc %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outs)),
        OutputGroupInfo(hdrs = depset(hdrs), srcs = depset(srcs)),
        _ProtoSources(protos = all_protos),
    ]

_ProtoSources = provider(fields = ["protos"])

_proto_gen = rule(
    implementation = _proto_gen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"]),
        "deps": attr.label_list(providers = [_ProtoSources]),
        "_protoc": attr.label(
            default = Label("@com_google_protobuf//:protoc"),
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
    },
)

def wsol_cc_proto_library(name, srcs, deps = [], visibility = None):
    """Generates <name> (a cc_library) and <name>_gen from srcs.

    deps are other wsol_cc_proto_library targets whose .proto files srcs import.
    """
    _proto_gen(
        name = name + "_gen",
        srcs = srcs,
        deps = [d + "_gen" for d in deps],
        visibility = visibility,
    )
    native.filegroup(
        name = name + "_hdrs",
        srcs = [":" + name + "_gen"],
        output_group = "hdrs",
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = [":" + name + "_gen"],
        output_group = "srcs",
    )
    native.cc_library(
        name = name,
        srcs = [":" + name + "_srcs"],
        hdrs = [":" + name + "_hdrs"],
        deps = deps + [Label("//third_party:protobuf")],
        visibility = visibility,
    )
