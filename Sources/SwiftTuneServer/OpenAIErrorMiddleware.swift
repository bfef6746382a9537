import Foundation
import HTTPTypes
import Hummingbird

/// Outermost: every failure leaves in OpenAI's error shape (an unknown route is a 404 naming it; Hummingbird's own
/// errors keep their status; anything else is a 500), and every answer is counted by status.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do { response = try await next(request, context) } catch let error as APIError {
            response = error.response()
        } catch let error as HTTPError {
            let converted: APIError
            switch error.status {
            case .notFound: converted = .routeNotFound(method: request.method.rawValue, path: request.uri.path)
            case .contentTooLarge: converted = .bodyTooLarge(limit: 0)
            default:
                converted = APIError(status: error.status, message: error.body ?? error.status.reasonPhrase,
                                     type: error.status.code < 500 ? "invalid_request_error" : "server_error")
            }
            response = converted.response()
        } catch {
            response = APIError.internalError("\(error)").response()
        }
        metrics.answered(status: response.status.code)
        return response
    }
}

/// With keys configured: `/v1/…`, `/tokenize` and `/detokenize` need `Authorization: Bearer KEY` or `X-Api-Key: KEY`
/// (401 otherwise); `/health`, `/metrics` and `/` stay open (as vLLM leaves everything outside `/v1` open).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let keys: Set<String>

    static let apiKeyHeader = HTTPField.Name("X-Api-Key")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty, Self.isProtected(request.uri.path) else { return try await next(request, context) }
        var given: String?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { given = String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        if given == nil { given = request.headers[Self.apiKeyHeader] }
        guard let given, keys.contains(given) else { throw APIError.invalidAPIKey }
        return try await next(request, context)
    }

    static func isProtected(_ path: String) -> Bool {
        path.hasPrefix("/v1/") || path == "/v1" || path == "/tokenize" || path == "/detokenize"
    }
}
