/// One function of a textual LLVM 14 module, parsed into instructions that
/// edits can address by a stable id, and printed back into the module.
///
/// Every local name is renamed on parsing: arguments `%a0, %a1, ...`,
/// instructions `%v<id>` (id = position in the original function, counted
/// from 0 over all blocks), blocks `%b<k>`. Numbered names (`%7`) must be
/// consecutive in LLVM's text, so without renaming a deleted instruction would
/// make the rest of the function unreadable.
///
///     %conv = sext i32 %dim to i64          ->   %v3 = sext i32 %a1 to i64
///     br i1 %c, label %for.body, label %x   ->   br i1 %v4, label %b2, label %b5
///
/// Everything outside the function (declarations, attributes, metadata) is
/// kept verbatim as text.
public struct IRFunction: Sendable {
    public enum Piece: Sendable, Equatable {
        case text(String)
        case value(String)   // a local value: "a<k>" or "v<id>"
        case label(Int)      // a block index
    }

    public struct Instruction: Sendable {
        public var id: Int
        /// Whether it defines a value (named "v<id>").
        public var hasResult: Bool
        public var opcode: String
        /// The result type; nil when void or not known.
        public var type: String?
        /// The text after "%v<id> = " (or the whole line), split at references.
        public var pieces: [Piece]
        /// A deleted instruction stays as a placeholder (printed as nothing) so ids stay stable.
        public var deleted = false
        /// The line as clang wrote it (original names), for explanations.
        public var source = ""

        public var name: String { "v\(id)" }
        public var isTerminator: Bool {
            ["br", "switch", "ret", "unreachable", "indirectbr", "resume", "invoke", "callbr"].contains(opcode)
        }
        public var isPhi: Bool { opcode == "phi" }
        public var isDebug: Bool {
            opcode == "call" && pieces.contains { if case .text(let t) = $0 { return t.contains("@llvm.dbg.") } else { return false } }
        }
        /// Branches, phis, returns and debug intrinsics are never edited or copied.
        public var isEditable: Bool { !isTerminator && !isPhi && !isDebug && opcode != "landingpad" }

        public var text: String {
            var s = hasResult ? "%\(name) = " : ""
            for p in pieces {
                switch p {
                case .text(let t): s += t
                case .value(let v): s += "%" + v
                case .label(let b): s += "%b\(b)"
                }
            }
            return s
        }

        /// The text with clang's names for the locals that have one (copies keep their renamed form).
        public func text(names: [String: String]) -> String {
            var s = hasResult ? "%\(names[name] ?? name) = " : ""
            for p in pieces {
                switch p {
                case .text(let t): s += t
                case .value(let v): s += "%" + (names[v] ?? v)
                case .label(let b): s += "%b\(b)"
                }
            }
            return s
        }

        /// The value operands, with their piece indices.
        public var valueOperands: [(piece: Int, name: String)] {
            pieces.enumerated().compactMap { if case .value(let v) = $0.element { return ($0.offset, v) } else { return nil } }
        }

        /// For a phi: the incoming block of the value at `piece` (the next label).
        func incomingBlock(ofPiece piece: Int) -> Int? {
            for p in pieces[(piece + 1)...] { if case .label(let b) = p { return b } }
            return nil
        }
    }

    public struct Block: Sendable {
        /// Instruction indices (into `instructions`) in order; placeholders included.
        public var order: [Int]
    }

    var prefix: [String]
    var defineHead: String   // "define ... @name("
    var defineTail: String   // ") ... {"
    var argumentTexts: [String]  // each with its name replaced by "%a<k>"
    public var argumentTypes: [String]
    public var instructions: [Instruction]
    public var blocks: [Block]
    var suffix: [String]
    /// The original function's instruction count (ids below it are original).
    public let originalCount: Int
    /// Renamed local ("a0", "v12") -> clang's name ("dim", "conv1"), for explanations.
    public let originalNames: [String: String]

    public var name: String {
        guard let at = defineHead.lastIndex(of: "@") else { return "" }
        return String(defineHead[defineHead.index(after: at)...].dropLast())
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses the first function defined in `module` (or the one named `function`).
    public init(module: String, function: String? = nil) throws {
        let lines = module.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("define ") && (function == nil || $0.contains("@\(function!)(")) }) else {
            throw ParseError(description: "no function definition\(function.map { " @\($0)" } ?? "") in the module")
        }
        guard let end = lines[start...].firstIndex(where: { $0 == "}" }) else {
            throw ParseError(description: "the definition at line \(start + 1) has no closing brace")
        }
        prefix = Array(lines[..<start])
        suffix = Array(lines[(end + 1)...])

        // Arguments: the define line's top-level parenthesised list.
        let define = lines[start]
        guard let open = define.firstIndex(of: "("), let close = Self.matchingParen(define, open) else {
            throw ParseError(description: "line \(start + 1): cannot read the argument list")
        }
        defineHead = String(define[...open])
        defineTail = String(define[close...])
        var names: [String: String] = [:]
        var argTexts: [String] = []
        var argTypes: [String] = []
        let argList = String(define[define.index(after: open)..<close])
        for (k, arg) in Self.splitTopLevel(argList).enumerated() where !arg.trimmingSpaces.isEmpty {
            guard let pct = arg.lastIndex(of: "%") else { throw ParseError(description: "line \(start + 1): argument \(k) has no name") }
            names[String(arg[arg.index(after: pct)...])] = "a\(k)"
            argTexts.append(String(arg[..<pct]) + "%a\(k)")
            argTypes.append(IRType.read(Array(arg.trimmingSpaces), from: 0)?.0 ?? "?")
        }
        argumentTexts = argTexts
        argumentTypes = argTypes

        // First pass: block labels and instruction results.
        var blockIndex: [String: Int] = [:]
        var body: [(block: Int, line: String)] = []
        var blockCount = 0
        var id = 0
        for raw in lines[(start + 1)..<end] {
            let line = raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.trimmingSpaces.isEmpty { continue }
            if !line.hasPrefix(" "), line.hasSuffix(":") || line.contains(":") {
                let label = String(line[..<line.firstIndex(of: ":")!])
                blockIndex[label] = blockCount
                blockCount += 1
                continue
            }
            if blockCount == 0 { blockCount = 1 }  // an unlabelled entry block
            let text = line.trimmingSpaces
            if text.hasPrefix("%"), let eq = text.range(of: " = ") {
                names[String(text[text.index(after: text.startIndex)..<eq.lowerBound])] = "v\(id)"
            }
            body.append((blockCount - 1, text))
            id += 1
        }

        // Second pass: split each instruction at its references.
        var instrs: [Instruction] = []
        var blocks = Array(repeating: Block(order: []), count: max(blockCount, 1))
        for (i, entry) in body.enumerated() {
            var text = entry.line
            var hasResult = false
            if text.hasPrefix("%"), let eq = text.range(of: " = ") {
                hasResult = true
                text = String(text[eq.upperBound...])
            }
            var words = text.split(separator: " ", maxSplits: 1).map(String.init)
            var opcodeWord = words.first ?? ""
            if ["tail", "musttail", "notail"].contains(opcodeWord), words.count > 1 {
                words = words[1].split(separator: " ", maxSplits: 1).map(String.init)
                opcodeWord = words.first ?? ""
            }
            let rest = words.count > 1 ? words[1] : ""
            let pieces = Self.pieces(text, names: names, blocks: blockIndex)
            let type = hasResult ? IRType.result(opcode: opcodeWord, rest: rest) : nil
            instrs.append(Instruction(id: i, hasResult: hasResult, opcode: opcodeWord, type: type, pieces: pieces,
                                      source: entry.line))
            blocks[entry.block].order.append(i)
        }
        instructions = instrs
        self.blocks = blocks
        originalCount = instrs.count
        originalNames = Dictionary(names.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
    }

    static func pieces(_ text: String, names: [String: String], blocks: [String: Int]) -> [Piece] {
        var out: [Piece] = []
        var literal = ""
        let s = Array(text)
        var i = 0
        func isNameChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "." || c == "_" || c == "-" || c == "$" }
        while i < s.count {
            if s[i] == "%", i + 1 < s.count, isNameChar(s[i + 1]) {
                var j = i + 1
                while j < s.count, isNameChar(s[j]) { j += 1 }
                let name = String(s[(i + 1)..<j])
                if let v = names[name] {
                    if !literal.isEmpty { out.append(.text(literal)); literal = "" }
                    out.append(.value(v))
                } else if let b = blocks[name] {
                    if !literal.isEmpty { out.append(.text(literal)); literal = "" }
                    out.append(.label(b))
                } else {
                    literal += String(s[i..<j])  // a type name such as %struct.x
                }
                i = j
                continue
            }
            literal.append(s[i])
            i += 1
        }
        if !literal.isEmpty { out.append(.text(literal)) }
        return out
    }

    static func matchingParen(_ s: String, _ open: String.Index) -> String.Index? {
        var depth = 0
        var i = open
        while i < s.endIndex {
            if s[i] == "(" { depth += 1 }
            if s[i] == ")" { depth -= 1; if depth == 0 { return i } }
            i = s.index(after: i)
        }
        return nil
    }

    static func splitTopLevel(_ s: String) -> [String] {
        var parts: [String] = []
        var depth = 0
        var cur = ""
        for c in s {
            if "([{<".contains(c) { depth += 1 }
            if ")]}>".contains(c) { depth -= 1 }
            if c == ",", depth == 0 { parts.append(cur); cur = ""; continue }
            cur.append(c)
        }
        parts.append(cur)
        return parts
    }

    /// The function's text (define line to closing brace).
    public var functionText: String {
        var out = defineHead + argumentTexts.joined(separator: ",") + defineTail + "\n"
        for (k, b) in blocks.enumerated() {
            out += "b\(k):\n"
            for i in b.order where !instructions[i].deleted {
                out += "  " + instructions[i].text + "\n"
            }
        }
        return out + "}"
    }

    /// The whole module with this function in place of the original.
    public var moduleText: String {
        (prefix + [functionText] + suffix).joined(separator: "\n")
    }

    /// Live (not deleted) editable instructions of the original function.
    public var editableIDs: [Int] {
        (0..<originalCount).filter { instructions[$0].isEditable && !instructions[$0].deleted }
    }

    /// Successor blocks of each block (from its terminator's labels).
    public var successors: [[Int]] {
        blocks.map { b in
            guard let last = b.order.last(where: { !instructions[$0].deleted }), instructions[last].isTerminator else { return [] }
            return instructions[last].pieces.compactMap { if case .label(let l) = $0 { return l } else { return nil } }
        }
    }

    /// The type of a local value ("a<k>" or "v<id>"), nil if unknown.
    public func type(of value: String) -> String? {
        if value.hasPrefix("a"), let k = Int(value.dropFirst()), k < argumentTypes.count { return argumentTypes[k] }
        if value.hasPrefix("v"), let id = Int(value.dropFirst()), id < instructions.count { return instructions[id].type }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
