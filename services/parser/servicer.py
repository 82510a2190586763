"""ParserService: synchronous parses of small documents for internal callers."""

from __future__ import annotations

import grpc

from fintract.api.parser.v1 import parser_pb2, parser_pb2_grpc
from services.common.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedPdf,
    ExtractionError,
    FileTooLarge,
    InputError,
    TooManyPages,
    UnsupportedFileType,
)
from services.parser.convert import KIND_BY_TYPE, to_parse_result
from services.parser.escalation import Escalation
from services.parser.extract import (
    Assembled,
    DocumentUnreadable,
    ExtractError,
    ExtractOptions,
    PasswordRequired,
    SourceDocument,
    extractor_for,
)
from services.parser.settings import ParserSettings
from services.parser.sources import Extraction

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff(content: bytes) -> str:
    """The content type from the magic bytes (the filename is not trusted)."""
    head = content[:1024]
    for magic, content_type in _MAGIC:
        if head.startswith(magic) or (magic == b"%PDF-" and magic in head):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise UnsupportedFileType("content is not a PDF, PNG, JPEG, GIF or WEBP")


class ParserServicer(parser_pb2_grpc.ParserServiceServicer):
    """Implements fintract.api.parser.v1.ParserService."""

    def __init__(
        self, *, settings: ParserSettings, extraction: Extraction, escalation: Escalation
    ) -> None:
        self.settings = settings
        self.extraction = extraction
        self.escalation = escalation

    async def ParseDocument(
        self, request: parser_pb2.ParseDocumentRequest, context: grpc.aio.ServicerContext
    ) -> parser_pb2.ParseDocumentResponse:
        kind = KIND_BY_TYPE.get(request.document_type)
        if kind is None:
            raise InputError("document_type must be bank_statement or invoice")
        if not request.content:
            raise EmptyFile("the document is empty")
        if len(request.content) > self.settings.sync_max_bytes:
            raise FileTooLarge("the document is too large for a synchronous parse; submit a job")
        source = SourceDocument(
            content=request.content,
            content_type=sniff(request.content),
            password=request.password if request.HasField("password") else None,
        )
        options = ExtractOptions(
            provider=request.provider or self.settings.default_provider,
            use_embedded_xml=(
                request.use_embedded_xml
                if request.HasField("use_embedded_xml")
                else self.settings.use_embedded_xml
            ),
        )
        provider = self.escalation.resolve(options.provider)
        extractor = extractor_for(kind)
        limit = self.settings.sync_max_pages

        def parse() -> tuple[Assembled, list[bytes]]:
            count = source.page_count
            if count > limit:
                raise TooManyPages(
                    f"{count} pages; synchronous parses take at most {limit}, submit a job"
                )
            pages = [extractor.extract_page(source, i, options) for i in range(count)]
            return extractor.assemble(source, pages, options), pages

        try:
            assembled, pages = await self.extraction.run(parse)
            # Gemini errors (ai_failed, ai_not_configured…) travel as they are.
            assembled = await self.escalation.apply(source, pages, assembled, provider)
        except PasswordRequired as exc:
            raise EncryptedPdf(str(exc)) from exc
        except DocumentUnreadable as exc:
            raise CorruptFile(str(exc)) from exc
        except ExtractError as exc:
            raise ExtractionError(str(exc), code=exc.code) from exc
        finally:
            await self.extraction.run(source.close)
        count = len(pages)
        return parser_pb2.ParseDocumentResponse(result=to_parse_result(assembled), pages=count)


__all__ = ["ParserServicer", "sniff"]
