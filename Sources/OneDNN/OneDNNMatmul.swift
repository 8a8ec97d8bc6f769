import CDNNL
import Foundation
import Tensors

/// oneDNN (Debian's libdnnl-dev), the only module importing it: what the
/// CPU offers, and matmul primitives created once and reused.
public enum OneDNN {
    /// The instruction set oneDNN dispatches to on this CPU.
    public static var isa: String {
        let v = dnnl_get_effective_cpu_isa().rawValue
        let names: [(UInt32, String)] = [
            (dnnl_cpu_isa_avx512_core_amx.rawValue, "avx512_core_amx"), (dnnl_cpu_isa_avx512_core_bf16.rawValue, "avx512_core_bf16"),
            (dnnl_cpu_isa_avx512_core_vnni.rawValue, "avx512_core_vnni"), (dnnl_cpu_isa_avx512_core.rawValue, "avx512_core"),
            (dnnl_cpu_isa_avx2_vnni.rawValue, "avx2_vnni"), (dnnl_cpu_isa_avx2.rawValue, "avx2"), (dnnl_cpu_isa_avx.rawValue, "avx"),
            (dnnl_cpu_isa_sse41.rawValue, "sse41"),
        ]
        return names.first { v & $0.0 == $0.0 }?.1 ?? "isa 0x\(String(v, radix: 16))"
    }

    /// Whether the CPU computes bf16 dot products natively (AVX-512 BF16 or
    /// AMX); without it oneDNN's bf16 kernels emulate or fall back.
    public static var hasNativeBF16: Bool {
        let v = dnnl_get_effective_cpu_isa().rawValue, bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return v & bf16 == bf16
    }

    /// oneDNN runs on OpenMP (Debian's build: libgomp): `n` threads for each
    /// thread that runs a primitive, as OpenBLAS's own count, so ranks sharing
    /// cores do not oversubscribe them. libgomp reads OMP_NUM_THREADS when it
    /// loads (with libdnnl, at start), so setting the variable later does
    /// nothing; `OneDNNMatmul.run` sets the calling thread's count instead.
    public static func limitThreads(_ n: Int) { threads = Int32(max(1, n)) }

    nonisolated(unsafe) static var threads: Int32 = 1

    /// libgomp's setters, found in the process (oneDNN loaded it), so no
    /// link flag for a library we do not call otherwise.
    static let setThreads: (@convention(c) (Int32) -> Void)? =
        dlsym(nil /* RTLD_DEFAULT */, "omp_set_num_threads")
            .map { unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self) }
    static let maxThreads: (@convention(c) () -> Int32)? =
        dlsym(nil, "omp_get_max_threads")
            .map { unsafeBitCast($0, to: (@convention(c) () -> Int32).self) }
}

/// An error from oneDNN, naming the call.
public struct OneDNNError: Error, CustomStringConvertible {
    public var description: String
}

/// `C[m x n] = alpha * op(A) * op(B) (+ C)`, row-major f32 in and out, where
/// op(A) is A [m x k] or, with `transposeA`, A stored [k x m] (a weight
/// gradient's dy^T), and op(B) is B [k x n] or, with `transposeB`, B stored
/// [n x k] (a Linear layer's weights). `accumulate` adds the product onto C
/// (oneDNN's sum post-op: BLAS's beta = 1); `scaled` takes alpha at each run
/// (a runtime output scale: the fused SGD's -lr), otherwise alpha is 1.
/// `.bf16` narrows A and B to bf16 (to nearest) into buffers held here and
/// runs oneDNN's bf16 x bf16 -> f32 matmul (f32 accumulation, C stays f32);
/// `.fp32` hands the f32 buffers to oneDNN directly. The primitive and its
/// memories are created once; `run` allocates nothing.
public final class OneDNNMatmul {
    public let m: Int, k: Int, n: Int
    public let transposeA: Bool, transposeB: Bool, accumulate: Bool, scaled: Bool
    public let precision: RowPrecision
    /// oneDNN's name for the implementation it picked (e.g. "brg:avx512_core",
    /// "gemm:jit", "ref:any").
    public let implementation: String
    private var engine: dnnl_engine_t?
    private var stream: dnnl_stream_t?
    private var primitive: dnnl_primitive_t?
    private var memA: dnnl_memory_t?, memB: dnnl_memory_t?, memC: dnnl_memory_t?, memScale: dnnl_memory_t?
    private var memScratch: dnnl_memory_t?
    /// oneDNN's scratchpad, ours ("user" mode): otherwise oneDNN may allocate
    /// it per execute, and the training step allocates nothing.
    private var scratch: UnsafeMutableRawPointer?
    private let a16: UnsafeMutablePointer<UInt16>, b16: UnsafeMutablePointer<UInt16>
    private let scale: UnsafeMutablePointer<Float>
    private let args: UnsafeMutablePointer<dnnl_exec_arg_t>
    private let argCount: Int32

    public init(m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool, accumulate: Bool = false,
                scaled: Bool = false, precision: RowPrecision) throws {
        precondition(precision != .fp16, "fp16 matmul is not offered")
        self.m = m; self.k = k; self.n = n; self.precision = precision
        self.transposeA = transposeA; self.transposeB = transposeB; self.accumulate = accumulate; self.scaled = scaled
        a16 = .allocate(capacity: precision == .bf16 ? m * k : 1)
        b16 = .allocate(capacity: precision == .bf16 ? k * n : 1)
        scale = .allocate(capacity: 1)
        scale.initialize(to: 1)
        args = .allocate(capacity: 5)
        argCount = scaled ? 5 : 4
        func check(_ s: dnnl_status_t, _ what: String) throws {
            guard s == dnnl_success else { throw OneDNNError(description: "oneDNN \(what) failed (status \(s.rawValue))") }
        }
        let dt = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var aMD = dnnl_memory_desc_t(), bMD = dnnl_memory_desc_t(), cMD = dnnl_memory_desc_t(), sMD = dnnl_memory_desc_t()
        var aDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(k)]
        var bDims: [dnnl_dim_t] = [dnnl_dim_t(k), dnnl_dim_t(n)]
        var cDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(n)]
        var sDims: [dnnl_dim_t] = [1]
        // A logical [m x k] read as `ba` comes from a [k x m] row-major buffer; likewise B.
        try check(dnnl_memory_desc_init_by_tag(&aMD, 2, &aDims, dt, transposeA ? dnnl_ba : dnnl_ab), "memory desc A")
        try check(dnnl_memory_desc_init_by_tag(&bMD, 2, &bDims, dt, transposeB ? dnnl_ba : dnnl_ab), "memory desc B")
        try check(dnnl_memory_desc_init_by_tag(&cMD, 2, &cDims, dnnl_f32, dnnl_ab), "memory desc C")
        try check(dnnl_memory_desc_init_by_tag(&sMD, 1, &sDims, dnnl_f32, dnnl_a), "memory desc scale")
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine")
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        var desc = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&desc, &aMD, &bMD, nil, &cMD), "matmul desc")
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if accumulate {
            var ops: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&ops), "post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            try check(dnnl_post_ops_append_sum(ops, 1), "sum post-op")
            try check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops attribute")
        }
        if scaled {
            // DNNL_RUNTIME_F32_VAL (a C union oneDNN's header defines): the scale arrives with each execute.
            var runtime = Float(bitPattern: 0x7fc0_00d0)
            try check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &runtime), "runtime output scale")
        }
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "\(precision) matmul for this CPU")
        var name: UnsafePointer<CChar>?
        _ = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        implementation = name.map { String(cString: $0) } ?? "?"
        try check(dnnl_primitive_create(&primitive, pd), "primitive")
        let scratchMD = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
        let scratchBytes = scratchMD.map { dnnl_memory_desc_get_size($0) } ?? 0
        scratch = .allocate(byteCount: max(scratchBytes, 64), alignment: 64)
        if let scratchMD {
            try check(dnnl_memory_create(&memScratch, scratchMD, engine, scratch), "memory scratchpad")
        }
        dnnl_primitive_desc_destroy(pd)
        try check(dnnl_memory_create(&memA, &aMD, engine, nil), "memory A")
        try check(dnnl_memory_create(&memB, &bMD, engine, nil), "memory B")
        try check(dnnl_memory_create(&memC, &cMD, engine, nil), "memory C")
        try check(dnnl_memory_create(&memScale, &sMD, engine, scale), "memory scale")
        if precision == .bf16 {
            dnnl_memory_set_data_handle(memA, a16)
            dnnl_memory_set_data_handle(memB, b16)
        }
        args[0] = dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memA)
        args[1] = dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memB)
        args[2] = dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memC)
        args[3] = dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memScratch)
        args[4] = dnnl_exec_arg_t(arg: DNNL_ARG_ATTR_OUTPUT_SCALES, memory: memScale)
    }

    deinit {
        dnnl_memory_destroy(memA); dnnl_memory_destroy(memB); dnnl_memory_destroy(memC); dnnl_memory_destroy(memScale)
        dnnl_memory_destroy(memScratch); scratch?.deallocate()
        dnnl_primitive_destroy(primitive); dnnl_stream_destroy(stream); dnnl_engine_destroy(engine)
        a16.deallocate(); b16.deallocate(); scale.deallocate(); args.deallocate()
    }

    /// One product (A and B as laid out at init, both dense: lda and ldb are
    /// their row lengths). For `.bf16`, `narrowB: false` reuses the B
    /// converted by an earlier call (weights between updates). `alpha` is
    /// read only when `scaled`.
    public func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                    alpha: Float = 1, narrowB: Bool = true) {
        if precision == .bf16 {
            Half16.encode(a, into: a16, count: m * k, .bf16)
            if narrowB { Half16.encode(b, into: b16, count: k * n, .bf16) }
        } else {
            dnnl_memory_set_data_handle(memA, UnsafeMutableRawPointer(mutating: a))
            dnnl_memory_set_data_handle(memB, UnsafeMutableRawPointer(mutating: b))
        }
        dnnl_memory_set_data_handle(memC, c)
        scale.pointee = alpha
        // Per thread in libgomp (a serving replica's worker, a rank run as a thread).
        if let get = OneDNN.maxThreads, let set = OneDNN.setThreads, get() != OneDNN.threads { set(OneDNN.threads) }
        let s = dnnl_primitive_execute(primitive, stream, argCount, args)
        precondition(s == dnnl_success, "oneDNN matmul failed (status \(s.rawValue))")
        dnnl_stream_wait(stream)
    }
}
