import CDNNL
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
}

/// An error from oneDNN, naming the call.
public struct OneDNNError: Error, CustomStringConvertible {
    public var description: String
}

/// `C[m x n] = A[m x k] * op(B)`, row-major f32 in and out, where op(B) is
/// B [k x n] or, with `transposeB`, B stored [n x k] (a Linear layer's
/// weights). `.bf16` narrows A and B to bf16 (to nearest) into buffers held
/// here and runs oneDNN's bf16 x bf16 -> f32 matmul (f32 accumulation);
/// `.fp32` hands the f32 buffers to oneDNN directly. The primitive and its
/// memories are created once; `run` allocates nothing.
public final class OneDNNMatmul {
    public let m: Int, k: Int, n: Int
    public let precision: RowPrecision
    /// oneDNN's name for the implementation it picked (e.g. "brg:avx512_core",
    /// "gemm:jit", "ref:any").
    public let implementation: String
    private var engine: dnnl_engine_t?
    private var stream: dnnl_stream_t?
    private var primitive: dnnl_primitive_t?
    private var memA: dnnl_memory_t?, memB: dnnl_memory_t?, memC: dnnl_memory_t?
    private let a16: UnsafeMutablePointer<UInt16>, b16: UnsafeMutablePointer<UInt16>
    private let args: UnsafeMutablePointer<dnnl_exec_arg_t>

    public init(m: Int, k: Int, n: Int, transposeB: Bool, precision: RowPrecision) throws {
        precondition(precision != .fp16, "fp16 matmul is not offered")
        self.m = m; self.k = k; self.n = n; self.precision = precision
        a16 = .allocate(capacity: precision == .bf16 ? m * k : 1)
        b16 = .allocate(capacity: precision == .bf16 ? k * n : 1)
        args = .allocate(capacity: 3)
        func check(_ s: dnnl_status_t, _ what: String) throws {
            guard s == dnnl_success else { throw OneDNNError(description: "oneDNN \(what) failed (status \(s.rawValue))") }
        }
        let dt = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var aMD = dnnl_memory_desc_t(), bMD = dnnl_memory_desc_t(), cMD = dnnl_memory_desc_t()
        var aDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(k)]
        var bDims: [dnnl_dim_t] = [dnnl_dim_t(k), dnnl_dim_t(n)]
        var cDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(n)]
        try check(dnnl_memory_desc_init_by_tag(&aMD, 2, &aDims, dt, dnnl_ab), "memory desc A")
        // B is [k x n] logically; `ba` reads it from an [n x k] row-major buffer.
        try check(dnnl_memory_desc_init_by_tag(&bMD, 2, &bDims, dt, transposeB ? dnnl_ba : dnnl_ab), "memory desc B")
        try check(dnnl_memory_desc_init_by_tag(&cMD, 2, &cDims, dnnl_f32, dnnl_ab), "memory desc C")
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine")
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        var desc = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&desc, &aMD, &bMD, nil, &cMD), "matmul desc")
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil), "\(precision) matmul for this CPU")
        var name: UnsafePointer<CChar>?
        _ = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        implementation = name.map { String(cString: $0) } ?? "?"
        try check(dnnl_primitive_create(&primitive, pd), "primitive")
        dnnl_primitive_desc_destroy(pd)
        try check(dnnl_memory_create(&memA, &aMD, engine, nil), "memory A")
        try check(dnnl_memory_create(&memB, &bMD, engine, nil), "memory B")
        try check(dnnl_memory_create(&memC, &cMD, engine, nil), "memory C")
        if precision == .bf16 {
            dnnl_memory_set_data_handle(memA, a16)
            dnnl_memory_set_data_handle(memB, b16)
        }
        args[0] = dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memA)
        args[1] = dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memB)
        args[2] = dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memC)
    }

    deinit {
        dnnl_memory_destroy(memA); dnnl_memory_destroy(memB); dnnl_memory_destroy(memC)
        dnnl_primitive_destroy(primitive); dnnl_stream_destroy(stream); dnnl_engine_destroy(engine)
        a16.deallocate(); b16.deallocate(); args.deallocate()
    }

    /// One product. For `.bf16`, `narrowB: false` reuses the B converted by
    /// an earlier call (weights between updates).
    public func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, narrowB: Bool = true) {
        if precision == .bf16 {
            Half16.encode(a, into: a16, count: m * k, .bf16)
            if narrowB { Half16.encode(b, into: b16, count: k * n, .bf16) }
        } else {
            dnnl_memory_set_data_handle(memA, UnsafeMutableRawPointer(mutating: a))
            dnnl_memory_set_data_handle(memB, UnsafeMutableRawPointer(mutating: b))
        }
        dnnl_memory_set_data_handle(memC, c)
        let s = dnnl_primitive_execute(primitive, stream, 3, args)
        precondition(s == dnnl_success, "oneDNN matmul failed (status \(s.rawValue))")
        dnnl_stream_wait(stream)
    }
}
