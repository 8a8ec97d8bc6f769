import Foundation

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
struct RequestJSON: Decodable {
    var dense: [Float]
    var user: [String: [Int64]]
    var candidates: [String: CandidateBags]
}

/// Either `[id, id, ...]` (one id per candidate) or `{"lengths": [...], "values": [...]}`.
struct CandidateBags: Decodable {
    var lengths: [Int64]?
    var values: [Int64]

    private enum Keys: String, CodingKey { case lengths, values }
    init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let ids = try? single.decode([Int64].self) {
            values = ids
            lengths = nil
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        lengths = try c.decode([Int64].self, forKey: .lengths)
        values = try c.decode([Int64].self, forKey: .values)
    }

    var count: Int { lengths?.count ?? values.count }
}

extension ServedModel {
    /// Decodes and validates a request body; errors name the field.
    public func decodeRequest(_ body: [UInt8], limits: RequestLimits) throws -> ScoringRequest {
        guard body.count <= limits.maxBodyBytes else {
            throw RequestError(.tooLarge, field: "body", "\(body.count) bytes > limit \(limits.maxBodyBytes)")
        }
        let json: RequestJSON
        do {
            json = try JSONDecoder().decode(RequestJSON.self, from: Data(body))
        } catch let e as DecodingError {
            throw RequestError(.badRequest, field: Self.field(of: e), Self.reason(of: e))
        } catch {
            throw RequestError(.badRequest, field: "body", "malformed JSON: \(error)")
        }
        return try validate(json, limits: limits)
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

    static func field(of e: DecodingError) -> String {
        let path: [CodingKey]
        switch e {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): path = c.codingPath
        case .keyNotFound(let key, let c): path = c.codingPath + [key]
        @unknown default: path = []
        }
        guard !path.isEmpty else { return "body" }
        var s = ""
        for k in path {
            if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : ".\(k.stringValue)" }
        }
        return s
    }

    static func reason(of e: DecodingError) -> String {
        switch e {
        case .typeMismatch(let t, _): return "expected \(t)"
        case .valueNotFound(let t, _): return "expected \(t), found null"
        case .keyNotFound: return "missing"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "malformed JSON" : "invalid value: \(c.debugDescription)"
        @unknown default: return "undecodable"
        }
    }
}
