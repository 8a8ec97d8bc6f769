/// One validated request: one user's context and N candidate items, laid out
/// as the engine reads it (ids already checked against their tables).
///
///     dense      [denseCount]              the user's dense features
///     userBags   per user-side feature     ids (a pooled bag, or a history in order)
///     candidates per item-side feature     lengths [N], offsets [N + 1], values [sum lengths]
///
/// Features are indexed as in `FeatureLayout.features` (embedding-feature
/// order); the side a feature is on decides which array holds it.
public struct ScoringRequest: Sendable {
    public struct Bags: Sendable {
        /// [N + 1]: candidate c's ids are `values[offsets[c] ..< offsets[c+1]]`.
        public var offsets: [Int32]
        public var values: [Int32]
    }
    public var dense: [Float]
    /// User-side features: one id list each (nil for item-side features).
    public var user: [[Int32]?]
    /// Item-side features: one bag per candidate each (nil for user-side features).
    public var candidates: [Bags?]
    public var candidateCount: Int
}

/// Why a request was refused: the HTTP status (400 malformed, 413 too large)
/// and a message naming the field.
public struct RequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Status: Int, Sendable { case badRequest = 400, tooLarge = 413 }
    public var status: Status
    public var field: String
    public var message: String
    public init(_ status: Status, field: String, _ message: String) {
        self.status = status; self.field = field; self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

/// What a request may hold: bounds that keep one request from taking the
/// server's memory or time (413 beyond them).
public struct RequestLimits: Sendable, Equatable {
    public var maxBodyBytes = 32 << 20
    public var maxCandidates = 4096
    public var maxIdsPerBag = 1024
    public init(maxBodyBytes: Int = 32 << 20, maxCandidates: Int = 4096, maxIdsPerBag: Int = 1024) {
        self.maxBodyBytes = maxBodyBytes; self.maxCandidates = maxCandidates; self.maxIdsPerBag = maxIdsPerBag
    }
}
