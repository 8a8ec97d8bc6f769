/// Reading LLVM 14 textual types (typed pointers) and the result type of an
/// instruction from its text. Only the opcodes the kernels produce are typed;
/// an instruction whose type is not known is parsed and printed but never used
/// as a donor, a replacement value or a deletion target (its uses could not be
/// re-pointed to a same-typed value).
enum IRType {
    static let flagWords: Set<String> = [
        "nuw", "nsw", "exact", "fast", "nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc",
        "inbounds", "volatile", "noundef", "zeroext", "signext", "inreg", "noalias", "nonnull",
        "fastcc", "ccc", "tail", "musttail", "notail", "inrange",
    ]

    /// What nests a type: vectors <...>, arrays [...], structs {...}.
    static let brackets: (opening: Set<Character>, closing: Set<Character>) = (["<", "[", "{"], [">", "]", "}"])

    /// Reads one type starting at `i` (after spaces); returns it and the index after it.
    static func read(_ s: [Character], from start: Int) -> (String, Int)? {
        var i = start
        while i < s.count, s[i] == " " { i += 1 }
        guard i < s.count else { return nil }
        var out = ""
        if brackets.opening.contains(s[i]) {
            var depth = 0
            repeat {
                let c = s[i]
                if brackets.opening.contains(c) { depth += 1 }
                if brackets.closing.contains(c) { depth -= 1 }
                out.append(c)
                i += 1
            } while i < s.count && depth > 0
            guard depth == 0 else { return nil }
        } else {
            while i < s.count, s[i].isLetter || s[i].isNumber || s[i] == "." || s[i] == "_" || s[i] == "%" {
                out.append(s[i])
                i += 1
            }
        }
        guard !out.isEmpty else { return nil }
        while i < s.count, s[i] == "*" {
            out.append("*")
            i += 1
        }
        return (out, i)
    }

    /// Skips flag words (and `align N`-free attribute words) before a type.
    static func skipFlags(_ s: [Character], from start: Int) -> Int {
        var i = start
        while true {
            var j = i
            while j < s.count, s[j] == " " { j += 1 }
            var word = ""
            var k = j
            while k < s.count, s[k].isLetter || s[k] == "_" { word.append(s[k]); k += 1 }
            if flagWords.contains(word), k < s.count, s[k] == " " { i = k; continue }
            return j
        }
    }

    /// Element type of a vector or array type (`<4 x float>` -> `float`).
    static func element(of t: String) -> String? {
        guard t.hasPrefix("<") || t.hasPrefix("["), let x = t.range(of: " x ") else { return nil }
        return String(t[x.upperBound..<t.index(before: t.endIndex)])
    }

    static func lanes(of t: String) -> Int? {
        guard t.hasPrefix("<"), let x = t.range(of: " x ") else { return nil }
        return Int(t[t.index(after: t.startIndex)..<x.lowerBound])
    }

    /// The result type of `opcode rest` (`rest` is the text after the opcode), nil when unknown or void.
    static func result(opcode: String, rest: String) -> String? {
        let s = Array(rest)
        let i = skipFlags(s, from: 0)
        switch opcode {
        case "add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr", "and", "or", "xor",
             "fadd", "fsub", "fmul", "fdiv", "frem", "fneg", "freeze", "phi", "load", "insertelement":
            return read(s, from: i)?.0
        case "icmp", "fcmp":
            // predicate, then the operand type
            var j = i
            while j < s.count, s[j] == " " { j += 1 }
            while j < s.count, s[j] != " " { j += 1 }
            guard let (t, _) = read(s, from: skipFlags(s, from: j)) else { return nil }
            if let n = lanes(of: t) { return "<\(n) x i1>" }
            return "i1"
        case "alloca":
            return read(s, from: i).map { $0.0 + "*" }
        case "getelementptr":
            guard let (elem, j) = read(s, from: i), j < s.count, s[j] == "," else { return nil }
            guard let (ptr, k) = read(s, from: j + 1), ptr.hasSuffix("*") else { return nil }
            // the pointer operand, then one ", <type> <value>" per index
            let indices = Array(s[k...]).split(separator: ",").count - 1
            if indices <= 1 { return indices == 1 ? ptr : nil }
            var t = elem
            for _ in 1..<indices {
                guard let e = element(of: t) else { return nil }
                t = e
            }
            return t + "*"
        case "zext", "sext", "trunc", "fptrunc", "fpext", "fptoui", "fptosi", "uitofp", "sitofp",
             "ptrtoint", "inttoptr", "bitcast", "addrspacecast":
            guard let r = rest.range(of: " to ", options: .backwards) else { return nil }
            return read(Array(rest[r.upperBound...]), from: 0)?.0
        case "select":
            guard let (_, j) = read(s, from: i) else { return nil }
            guard let comma = s[j...].firstIndex(of: ",") else { return nil }
            return read(s, from: skipFlags(s, from: comma + 1))?.0
        case "call":
            guard let (t, _) = read(s, from: i), t != "void" else { return nil }
            return t
        case "extractelement":
            return read(s, from: i).flatMap { element(of: $0.0) }
        case "shufflevector":
            guard let (t, _) = read(s, from: i), let e = element(of: t) else { return nil }
            // the mask's lane count: the last "<M x i32>" in the text
            guard let r = rest.range(of: " x i32> ", options: .backwards) else { return nil }
            let head = rest[..<r.lowerBound]
            guard let lt = head.lastIndex(of: "<"), let m = Int(head[head.index(after: lt)...]) else { return nil }
            return "<\(m) x \(e)>"
        default:
            return nil
        }
    }

    /// A constant of type `t` (0 or 1 for scalars; null/zeroinitializer otherwise), nil if none fits.
    static func constant(_ t: String, one: Bool) -> String? {
        if t.hasSuffix("*") { return "null" }
        if t.hasPrefix("<") { return "zeroinitializer" }
        if t.hasPrefix("i"), Int(t.dropFirst()) != nil { return one ? "1" : "0" }
        if ["float", "double", "half"].contains(t) { return one ? "1.000000e+00" : "0.000000e+00" }
        return nil
    }
}
