
/// The JSON form of a request:
///
///     {"dense": [0.1, 0.5, ...],                          denseCount floats
///      "user": {"user": [17], "history": [3, 9, 41]},     every user-side feature by name
///      "candidates": {"item": [41, 7, 8],                 one id per candidate, or
///                     "c0": {"lengths": [1, 2, 1],        a bag per candidate
///                            "values": [4, 5, 6, 7]}}}
///
/// Every item-side feature is required and all must agree on the candidate
/// count N. Responses are `{"scores": [N probabilities]}`.
struct RequestJSON {
    var dense: [Float]
    var user: [String: [Int64]]
    var candidates: [String: CandidateBags]
}

/// Either `[id, id, ...]` (one id per candidate) or `{"lengths": [...], "values": [...]}`.
struct CandidateBags {
    var lengths: [Int64]?
    var values: [Int64]
    var count: Int { lengths?.count ?? values.count }
}

extension RequestJSON {
    /// The request's fields from parsed JSON; errors name the field.
    init(_ v: JSONValue) throws {
        func bad(_ field: String, _ message: String) -> RequestError { RequestError(.badRequest, field: field, message) }
        func numbers(_ v: JSONValue, _ field: String) throws -> [Double] {
            switch v {
            case .numbers(let n): return n
            case .array(let items):
                let i = items.firstIndex { if case .number = $0 { return false }; return true }!
                throw bad("\(field)[\(i)]", "expected a number, found \(items[i].kind)")
            default: throw bad(field, "expected an array of numbers, found \(v.kind)")
            }
        }
        func ids(_ v: JSONValue, _ field: String) throws -> [Int64] {
            let n = try numbers(v, field)
            if let i = n.firstIndex(where: { $0 != $0.rounded() || abs($0) > 9e15 }) {
                throw bad("\(field)[\(i)]", "expected an integer id, got \(n[i])")
            }
            return n.map { Int64($0) }
        }
        func object(_ v: JSONValue, _ field: String) throws -> [(String, JSONValue)] {
            guard case .object(let f) = v else { throw bad(field, "expected an object, found \(v.kind)") }
            return f
        }
        var dense: [Float]?, user: [String: [Int64]]?, candidates: [String: CandidateBags]?
        for (key, value) in try object(v, "body") {
            switch key {
            case "dense": dense = try numbers(value, "dense").map { Float($0) }
            case "user":
                var u: [String: [Int64]] = [:]
                for (name, list) in try object(value, "user") { u[name] = try ids(list, "user.\(name)") }
                user = u
            case "candidates":
                var c: [String: CandidateBags] = [:]
                for (name, bags) in try object(value, "candidates") {
                    let field = "candidates.\(name)"
                    if case .object(let parts) = bags {
                        var lengths: [Int64]?, values: [Int64]?
                        for (k, x) in parts {
                            switch k {
                            case "lengths": lengths = try ids(x, "\(field).lengths")
                            case "values": values = try ids(x, "\(field).values")
                            default: throw bad("\(field).\(k)", "unknown field (expected lengths and values)")
                            }
                        }
                        guard let lengths else { throw bad("\(field).lengths", "missing") }
                        guard let values else { throw bad("\(field).values", "missing") }
                        c[name] = CandidateBags(lengths: lengths, values: values)
                    } else {
                        c[name] = CandidateBags(lengths: nil, values: try ids(bags, field))
                    }
                }
                candidates = c
            default: throw bad(key, "unknown field (expected dense, user, candidates)")
            }
        }
        guard let dense else { throw bad("dense", "missing") }
        guard let user else { throw bad("user", "missing") }
        guard let candidates else { throw bad("candidates", "missing") }
        self.init(dense: dense, user: user, candidates: candidates)
    }
}

extension ServedModel {
    /// Decodes and validates a request body; errors name the field.
    public func decodeRequest(_ body: [UInt8], limits: RequestLimits) throws -> ScoringRequest {
        guard body.count <= limits.maxBodyBytes else {
            throw RequestError(.tooLarge, field: "body", "\(body.count) bytes > limit \(limits.maxBodyBytes)")
        }
        let parsed: JSONValue
        do {
            parsed = try JSONReader.parse(body)
        } catch let e as JSONReader.Failure {
            throw RequestError(.badRequest, field: "body", "malformed JSON at byte \(e.offset): \(e.message)")
        }
        return try validate(RequestJSON(parsed), limits: limits)
    }

    func validate(_ json: RequestJSON, limits: RequestLimits) throws -> ScoringRequest {
        guard json.dense.count == denseCount else {
            throw RequestError(.badRequest, field: "dense", "expected \(denseCount) values, got \(json.dense.count)")
        }
        if let i = json.dense.firstIndex(where: { !$0.isFinite }) {
            throw RequestError(.badRequest, field: "dense[\(i)]", "not a finite number")
        }
        let features = layout.features
        let known = Set(features.map(\.name))
        for name in json.user.keys.sorted() where !known.contains(name) || !layout.userSide[features.firstIndex { $0.name == name }!] {
            throw RequestError(.badRequest, field: "user.\(name)", "not a user-side feature (user-side: \(userFeatureNames.joined(separator: ", ")))")
        }
        for name in json.candidates.keys.sorted() where !known.contains(name) || layout.userSide[features.firstIndex { $0.name == name }!] {
            throw RequestError(.badRequest, field: "candidates.\(name)", "not an item-side feature (item-side: \(itemFeatureNames.joined(separator: ", ")))")
        }
        var n: Int?
        var user: [[Int32]?] = Array(repeating: nil, count: features.count)
        var candidates: [ScoringRequest.Bags?] = Array(repeating: nil, count: features.count)
        for (k, f) in features.enumerated() {
            let rows = layout.tables[f.table].rows, table = layout.tables[f.table].name
            func check(_ ids: [Int64], _ field: String) throws -> [Int32] {
                if let i = ids.firstIndex(where: { $0 < 0 || $0 >= Int64(rows) }) {
                    throw RequestError(.badRequest, field: "\(field)[\(i)]", "id \(ids[i]) outside table '\(table)' (\(rows) rows)")
                }
                return ids.map { Int32($0) }
            }
            if layout.userSide[k] {
                guard let ids = json.user[f.name] else {
                    throw RequestError(.badRequest, field: "user.\(f.name)", "missing (user-side features: \(userFeatureNames.joined(separator: ", ")))")
                }
                let limit = f.isSequence ? maxHistory : limits.maxIdsPerBag
                guard ids.count <= limit else {
                    throw RequestError(.tooLarge, field: "user.\(f.name)", "\(ids.count) ids > limit \(limit)")
                }
                user[k] = try check(ids, "user.\(f.name)")
                continue
            }
            let field = "candidates.\(f.name)"
            guard let bags = json.candidates[f.name] else {
                throw RequestError(.badRequest, field: field, "missing (item-side features: \(itemFeatureNames.joined(separator: ", ")))")
            }
            if bags.count == 0 { throw RequestError(.badRequest, field: field, "no candidates") }
            if bags.count > limits.maxCandidates {
                throw RequestError(.tooLarge, field: field, "\(bags.count) candidates > limit \(limits.maxCandidates)")
            }
            if let n, n != bags.count {
                throw RequestError(.badRequest, field: field, "\(bags.count) candidates, other features have \(n)")
            }
            n = bags.count
            var offsets = [Int32](repeating: 0, count: bags.count + 1)
            if let lengths = bags.lengths {
                for (c, l) in lengths.enumerated() {
                    guard l >= 0, l <= limits.maxIdsPerBag else {
                        let status: RequestError.Status = l < 0 ? .badRequest : .tooLarge
                        throw RequestError(status, field: "\(field).lengths[\(c)]", "length \(l) outside 0...\(limits.maxIdsPerBag)")
                    }
                    offsets[c + 1] = offsets[c] + Int32(l)
                }
                guard Int(offsets[bags.count]) == bags.values.count else {
                    throw RequestError(.badRequest, field: "\(field).values", "\(bags.values.count) ids, the lengths sum to \(offsets[bags.count])")
                }
            } else {
                for c in 0..<bags.count { offsets[c + 1] = Int32(c + 1) }
            }
            candidates[k] = .init(offsets: offsets, values: try check(bags.values, bags.lengths == nil ? field : "\(field).values"))
        }
        guard let n else { throw RequestError(.badRequest, field: "candidates", "the model has no item-side feature to score") }
        return ScoringRequest(dense: json.dense, user: user, candidates: candidates, candidateCount: n)
    }

    var userFeatureNames: [String] { layout.features.indices.filter { layout.userSide[$0] }.map { layout.features[$0].name } }
    var itemFeatureNames: [String] { layout.features.indices.filter { !layout.userSide[$0] }.map { layout.features[$0].name } }
}
