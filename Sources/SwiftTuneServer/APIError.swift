import Foundation
import Hummingbird

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its HTTP status.
///
/// Every failure a request can cause ends as one of these: a bad field names itself in `param`; a full queue is a
/// 429 with `Retry-After`; the server shutting down is a 503 with `Retry-After`.
public struct APIError: Error, Sendable, Equatable, HTTPResponseError {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A sentence for a person.
    public var message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`, ….
    public var type: String
    /// The request field at fault (`messages[0].content`, `max_tokens`), if one is.
    public var param: String?
    /// A machine-readable code (`context_length_exceeded`, `model_not_found`, `invalid_api_key`), if any.
    public var code: String?
    /// Seconds a client should wait before retrying (429, 503).
    public var retryAfter: Int?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil,
                retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    /// 400 for a malformed body or a bad field.
    public static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 400 for a field the server understands but does not implement (it would change the result).
    public static func unsupported(_ param: String, _ detail: String = "") -> APIError {
        badRequest("Unsupported parameter: '\(param)' is not supported by this server\(detail.isEmpty ? "" : ": " + detail).",
                   param: param, code: "unsupported_parameter")
    }

    /// 400 for a value of the wrong type or out of range.
    public static func invalidValue(_ param: String, _ requirement: String) -> APIError {
        badRequest("Invalid value for '\(param)': \(requirement).", param: param, code: "invalid_value")
    }

    /// 401: no key or a wrong one.
    public static let invalidAPIKey = APIError(
        status: .unauthorized,
        message: "Incorrect or missing API key. Send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.",
        type: "authentication_error", code: "invalid_api_key")

    /// 404: a model name that is neither the base nor an adapter.
    public static func modelNotFound(_ name: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(name)' does not exist.", type: "invalid_request_error",
                 param: "model", code: "model_not_found")
    }

    /// 404: no such route.
    public static func routeNotFound(method: String, path: String) -> APIError {
        APIError(status: .notFound, message: "Invalid URL (\(method) \(path))", type: "invalid_request_error",
                 code: "unknown_url")
    }

    /// 413: the body is larger than the server accepts.
    public static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body is larger than \(limit) bytes.",
                 type: "invalid_request_error", code: "request_too_large")
    }

    /// 400 `context_length_exceeded`: prompt + completion beyond the model length.
    public static func contextLengthExceeded(maxModelLength: Int, promptTokens: Int, completionTokens: Int,
                                             param: String) -> APIError {
        badRequest("This model's maximum context length is \(maxModelLength) tokens. However, you requested "
                   + "\(promptTokens + completionTokens) tokens (\(promptTokens) in the \(param), \(completionTokens) in the "
                   + "completion). Please reduce the length of the \(param) or completion.",
                   param: param, code: "context_length_exceeded")
    }

    /// 429: the queue is full; retry after `seconds`.
    public static func queueFull(limit: Int, retryAfter seconds: Int = 1) -> APIError {
        APIError(status: .tooManyRequests, message: "The server's queue is full (\(limit) waiting requests); retry later.",
                 type: "rate_limit_error", code: "queue_full", retryAfter: seconds)
    }

    /// 503: the server is shutting down (or the engine has stopped).
    public static func unavailable(_ message: String, retryAfter seconds: Int = 5) -> APIError {
        APIError(status: .serviceUnavailable, message: message, type: "server_error", code: "service_unavailable",
                 retryAfter: seconds)
    }

    /// 500: the engine failed while generating.
    public static func internalError(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error", code: "internal_error")
    }

    /// The JSON body, `{"error": {...}}`.
    public var body: ErrorBody { ErrorBody(error: .init(message: message, type: type, param: param, code: code)) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The HTTP response: the JSON body and, for 429/503, `Retry-After`.
    public func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: WireJSON.encode(body))))
    }
}

/// OpenAI's error envelope.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(param, forKey: .param)   // null, not absent: clients read the key
            try c.encode(code, forKey: .code)
        }
    }
    public var error: Detail
}
