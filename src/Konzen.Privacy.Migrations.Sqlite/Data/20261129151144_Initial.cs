using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Konzen.Privacy.Migrations.Sqlite.Data
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Field = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Purpose = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Detail = table.Column<string>(type: "TEXT", nullable: true),
                    PreviousHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    Hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_entries", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "cancellation_requests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    CodeHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    CodeExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ConfirmedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    DueAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UndoneAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TokenHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    Certificate = table.Column<string>(type: "TEXT", nullable: true),
                    CertificateFetchedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cancellation_requests", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "consent_events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    PurposeKey = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Granted = table.Column<bool>(type: "INTEGER", nullable: false),
                    PolicyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Method = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    EvidenceHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    ReceiptId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Receipt = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_events", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "controller_transfers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    To = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    EffectiveAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    PolicyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PolicyVersion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Notified = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_controller_transfers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "event_pseudonyms",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    epoch = table.Column<int>(type: "INTEGER", nullable: false),
                    hmac = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_event_pseudonyms", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "incidents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DetectedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    OccurredFrom = table.Column<long>(type: "INTEGER", nullable: false),
                    OccurredTo = table.Column<long>(type: "INTEGER", nullable: false),
                    Categories = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Stores = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    Cause = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Measures = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    SubjectsAffected = table.Column<int>(type: "INTEGER", nullable: false),
                    SubjectsNotified = table.Column<int>(type: "INTEGER", nullable: false),
                    SubjectsNotifiedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    OfficerNotifiedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    OfficerError = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Findings = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incidents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pending_registrations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Payload = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pending_registrations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "policy_versions",
                columns: table => new
                {
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    Number = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    EffectiveAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ContentHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Yaml = table.Column<string>(type: "TEXT", nullable: false),
                    PublishedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    PublishedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Notified = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_policy_versions", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "privacy_requests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DueAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DueEstimated = table.Column<bool>(type: "INTEGER", nullable: false),
                    OriginalDueAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Assignee = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Text = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Answer = table.Column<byte[]>(type: "BLOB", nullable: true),
                    ExtensionReason = table.Column<byte[]>(type: "BLOB", nullable: true),
                    AnsweredAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TokenHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_privacy_requests", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "public_disclosure_notices",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PurposeEn = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    PurposeZhCn = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Categories = table.Column<string>(type: "TEXT", nullable: false),
                    TextEn = table.Column<string>(type: "TEXT", nullable: false),
                    TextZhCn = table.Column<string>(type: "TEXT", nullable: false),
                    HashEn = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    HashZhCn = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_public_disclosure_notices", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "recipients",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    PolicyClass = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Region = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Categories = table.Column<string>(type: "TEXT", nullable: false),
                    Purposes = table.Column<string>(type: "TEXT", nullable: false),
                    ContactEmail = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_recipients", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "retention_sweeps",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Node = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_sweeps", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "service_cessations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AnnouncedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CeaseAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DeletionDueAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Notified = table.Column<int>(type: "INTEGER", nullable: false),
                    RunStartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Report = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_service_cessations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "sms_outbox",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Ciphertext = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sms_outbox", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "staff_members",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    TokenHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DisabledAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_staff_members", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "subjects",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Region = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AcceptedPolicyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    EmailIndex = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    PhoneIndex = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    PasswordHash = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    FailedLogins = table.Column<int>(type: "INTEGER", nullable: false),
                    LockedUntil = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_subjects", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "visitors",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Region = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_visitors", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "log_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    pseudonym_id = table.Column<long>(type: "INTEGER", nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    category = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    ip = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    subject_sealed = table.Column<bool>(type: "INTEGER", nullable: false),
                    payload = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_log_events", x => x.id);
                    table.ForeignKey(
                        name: "FK_log_events_event_pseudonyms_pseudonym_id",
                        column: x => x.pseudonym_id,
                        principalTable: "event_pseudonyms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "verification_codes",
                columns: table => new
                {
                    RegistrationId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    UsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_verification_codes", x => new { x.RegistrationId, x.Channel });
                    table.ForeignKey(
                        name: "FK_verification_codes_pending_registrations_RegistrationId",
                        column: x => x.RegistrationId,
                        principalTable: "pending_registrations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "privacy_request_events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RequestId = table.Column<Guid>(type: "TEXT", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    To = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_privacy_request_events", x => x.Id);
                    table.ForeignKey(
                        name: "FK_privacy_request_events_privacy_requests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "privacy_requests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "disclosures",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecipientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Basis = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Purpose = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Categories = table.Column<string>(type: "TEXT", nullable: false),
                    SubjectCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Sha256 = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    KReached = table.Column<int>(type: "INTEGER", nullable: true),
                    LegalRequestId = table.Column<Guid>(type: "TEXT", nullable: true),
                    PublicNoticeId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_disclosures", x => x.Id);
                    table.ForeignKey(
                        name: "FK_disclosures_recipients_RecipientId",
                        column: x => x.RecipientId,
                        principalTable: "recipients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "legal_requests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    LegalBasis = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Authority = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DocumentReference = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RecipientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SubjectIds = table.Column<string>(type: "TEXT", nullable: false),
                    Categories = table.Column<string>(type: "TEXT", nullable: false),
                    PurposeText = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    FiledBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    FiledAt = table.Column<long>(type: "INTEGER", nullable: false),
                    DecidedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    DecisionReason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    DisclosureId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_legal_requests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_legal_requests_recipients_RecipientId",
                        column: x => x.RecipientId,
                        principalTable: "recipients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "recipient_agreements",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecipientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Reference = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    SignedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AddedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AddedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_recipient_agreements", x => x.Id);
                    table.ForeignKey(
                        name: "FK_recipient_agreements_recipients_RecipientId",
                        column: x => x.RecipientId,
                        principalTable: "recipients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "recipient_deletion_notices",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecipientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CancellationId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Disclosures = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_recipient_deletion_notices", x => x.Id);
                    table.ForeignKey(
                        name: "FK_recipient_deletion_notices_recipients_RecipientId",
                        column: x => x.RecipientId,
                        principalTable: "recipients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "retention_sweep_counts",
                columns: table => new
                {
                    SweepId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Category = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Deleted = table.Column<int>(type: "INTEGER", nullable: false),
                    Anonymized = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_sweep_counts", x => new { x.SweepId, x.Category });
                    table.ForeignKey(
                        name: "FK_retention_sweep_counts_retention_sweeps_SweepId",
                        column: x => x.SweepId,
                        principalTable: "retention_sweeps",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "correction_requests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    NewValue = table.Column<byte[]>(type: "BLOB", nullable: false),
                    CodeHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_correction_requests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_correction_requests_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "identifying_authorizations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecipientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Categories = table.Column<string>(type: "TEXT", nullable: false),
                    Granted = table.Column<bool>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_identifying_authorizations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_identifying_authorizations_recipients_RecipientId",
                        column: x => x.RecipientId,
                        principalTable: "recipients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_identifying_authorizations_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "incident_subjects",
                columns: table => new
                {
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incident_subjects", x => new { x.IncidentId, x.SubjectId });
                    table.ForeignKey(
                        name: "FK_incident_subjects_incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_incident_subjects_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "location_points",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Accuracy = table.Column<double>(type: "REAL", nullable: false),
                    Coordinates = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_location_points", x => x.Id);
                    table.ForeignKey(
                        name: "FK_location_points_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "minor_accounts",
                columns: table => new
                {
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    GuardianChannel = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    GuardianContact = table.Column<byte[]>(type: "BLOB", nullable: true),
                    CodeHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    CodeExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CodeAttempts = table.Column<int>(type: "INTEGER", nullable: false),
                    TokenHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    GuardianVerifiedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_minor_accounts", x => x.SubjectId);
                    table.ForeignKey(
                        name: "FK_minor_accounts_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "notification_languages",
                columns: table => new
                {
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notification_languages", x => x.SubjectId);
                    table.ForeignKey(
                        name: "FK_notification_languages_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "notifications",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    TemplateKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Values = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: true),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReadAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_notifications_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "personal_fields",
                columns: table => new
                {
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Field = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Ciphertext = table.Column<byte[]>(type: "BLOB", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_personal_fields", x => new { x.SubjectId, x.Field });
                    table.ForeignKey(
                        name: "FK_personal_fields_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "positioning_states",
                columns: table => new
                {
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    On = table.Column<bool>(type: "INTEGER", nullable: false),
                    Since = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_positioning_states", x => x.SubjectId);
                    table.ForeignKey(
                        name: "FK_positioning_states_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "public_disclosure_consents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    NoticeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Granted = table.Column<bool>(type: "INTEGER", nullable: false),
                    NoticeHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_public_disclosure_consents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_public_disclosure_consents_public_disclosure_notices_NoticeId",
                        column: x => x.NoticeId,
                        principalTable: "public_disclosure_notices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_public_disclosure_consents_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "transfer_consents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false),
                    TransferId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    NoticeHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    Granted = table.Column<bool>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_transfer_consents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_transfer_consents_subjects_SubjectId",
                        column: x => x.SubjectId,
                        principalTable: "subjects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "disclosure_subjects",
                columns: table => new
                {
                    DisclosureId = table.Column<Guid>(type: "TEXT", nullable: false),
                    SubjectId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_disclosure_subjects", x => new { x.DisclosureId, x.SubjectId });
                    table.ForeignKey(
                        name: "FK_disclosure_subjects_disclosures_DisclosureId",
                        column: x => x.DisclosureId,
                        principalTable: "disclosures",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_audit_entries_SubjectId",
                table: "audit_entries",
                column: "SubjectId");

            migrationBuilder.CreateIndex(
                name: "IX_cancellation_requests_Status_DueAt",
                table: "cancellation_requests",
                columns: new[] { "Status", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_cancellation_requests_SubjectId",
                table: "cancellation_requests",
                column: "SubjectId");

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_ReceiptId",
                table: "consent_events",
                column: "ReceiptId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_SubjectId_Id",
                table: "consent_events",
                columns: new[] { "SubjectId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_controller_transfers_RecordedAt",
                table: "controller_transfers",
                column: "RecordedAt");

            migrationBuilder.CreateIndex(
                name: "IX_correction_requests_SubjectId_Channel",
                table: "correction_requests",
                columns: new[] { "SubjectId", "Channel" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_disclosure_subjects_SubjectId",
                table: "disclosure_subjects",
                column: "SubjectId");

            migrationBuilder.CreateIndex(
                name: "IX_disclosures_At",
                table: "disclosures",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_disclosures_RecipientId",
                table: "disclosures",
                column: "RecipientId");

            migrationBuilder.CreateIndex(
                name: "IX_event_pseudonyms_epoch",
                table: "event_pseudonyms",
                column: "epoch");

            migrationBuilder.CreateIndex(
                name: "IX_event_pseudonyms_hmac",
                table: "event_pseudonyms",
                column: "hmac",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_identifying_authorizations_RecipientId",
                table: "identifying_authorizations",
                column: "RecipientId");

            migrationBuilder.CreateIndex(
                name: "IX_identifying_authorizations_SubjectId_RecipientId_Id",
                table: "identifying_authorizations",
                columns: new[] { "SubjectId", "RecipientId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_incident_subjects_SubjectId",
                table: "incident_subjects",
                column: "SubjectId");

            migrationBuilder.CreateIndex(
                name: "IX_incidents_RecordedAt",
                table: "incidents",
                column: "RecordedAt");

            migrationBuilder.CreateIndex(
                name: "IX_legal_requests_FiledAt",
                table: "legal_requests",
                column: "FiledAt");

            migrationBuilder.CreateIndex(
                name: "IX_legal_requests_RecipientId",
                table: "legal_requests",
                column: "RecipientId");

            migrationBuilder.CreateIndex(
                name: "IX_location_points_RecordedAt",
                table: "location_points",
                column: "RecordedAt");

            migrationBuilder.CreateIndex(
                name: "IX_location_points_SubjectId_RecordedAt",
                table: "location_points",
                columns: new[] { "SubjectId", "RecordedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_log_events_category_at",
                table: "log_events",
                columns: new[] { "category", "at" });

            migrationBuilder.CreateIndex(
                name: "IX_log_events_pseudonym_id_at",
                table: "log_events",
                columns: new[] { "pseudonym_id", "at" });

            migrationBuilder.CreateIndex(
                name: "IX_notifications_Status_NextAttemptAt",
                table: "notifications",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_notifications_SubjectId_Channel_CreatedAt",
                table: "notifications",
                columns: new[] { "SubjectId", "Channel", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pending_registrations_ExpiresAt",
                table: "pending_registrations",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_policy_versions_ContentHash",
                table: "policy_versions",
                column: "ContentHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_privacy_request_events_RequestId",
                table: "privacy_request_events",
                column: "RequestId");

            migrationBuilder.CreateIndex(
                name: "IX_privacy_requests_Status_DueAt",
                table: "privacy_requests",
                columns: new[] { "Status", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_privacy_requests_SubjectId",
                table: "privacy_requests",
                column: "SubjectId");

            migrationBuilder.CreateIndex(
                name: "IX_public_disclosure_consents_NoticeId",
                table: "public_disclosure_consents",
                column: "NoticeId");

            migrationBuilder.CreateIndex(
                name: "IX_public_disclosure_consents_SubjectId_NoticeId_Id",
                table: "public_disclosure_consents",
                columns: new[] { "SubjectId", "NoticeId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_recipient_agreements_RecipientId",
                table: "recipient_agreements",
                column: "RecipientId");

            migrationBuilder.CreateIndex(
                name: "IX_recipient_deletion_notices_RecipientId_At",
                table: "recipient_deletion_notices",
                columns: new[] { "RecipientId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_retention_sweeps_StartedAt",
                table: "retention_sweeps",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_sms_outbox_CreatedAt",
                table: "sms_outbox",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_staff_members_Name",
                table: "staff_members",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_staff_members_TokenHash",
                table: "staff_members",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_subjects_EmailIndex",
                table: "subjects",
                column: "EmailIndex",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_subjects_PhoneIndex",
                table: "subjects",
                column: "PhoneIndex",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_transfer_consents_SubjectId_TransferId_Id",
                table: "transfer_consents",
                columns: new[] { "SubjectId", "TransferId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_entries");

            migrationBuilder.DropTable(
                name: "cancellation_requests");

            migrationBuilder.DropTable(
                name: "consent_events");

            migrationBuilder.DropTable(
                name: "controller_transfers");

            migrationBuilder.DropTable(
                name: "correction_requests");

            migrationBuilder.DropTable(
                name: "disclosure_subjects");

            migrationBuilder.DropTable(
                name: "identifying_authorizations");

            migrationBuilder.DropTable(
                name: "incident_subjects");

            migrationBuilder.DropTable(
                name: "legal_requests");

            migrationBuilder.DropTable(
                name: "location_points");

            migrationBuilder.DropTable(
                name: "log_events");

            migrationBuilder.DropTable(
                name: "minor_accounts");

            migrationBuilder.DropTable(
                name: "notification_languages");

            migrationBuilder.DropTable(
                name: "notifications");

            migrationBuilder.DropTable(
                name: "personal_fields");

            migrationBuilder.DropTable(
                name: "policy_versions");

            migrationBuilder.DropTable(
                name: "positioning_states");

            migrationBuilder.DropTable(
                name: "privacy_request_events");

            migrationBuilder.DropTable(
                name: "public_disclosure_consents");

            migrationBuilder.DropTable(
                name: "recipient_agreements");

            migrationBuilder.DropTable(
                name: "recipient_deletion_notices");

            migrationBuilder.DropTable(
                name: "retention_sweep_counts");

            migrationBuilder.DropTable(
                name: "service_cessations");

            migrationBuilder.DropTable(
                name: "sms_outbox");

            migrationBuilder.DropTable(
                name: "staff_members");

            migrationBuilder.DropTable(
                name: "transfer_consents");

            migrationBuilder.DropTable(
                name: "verification_codes");

            migrationBuilder.DropTable(
                name: "visitors");

            migrationBuilder.DropTable(
                name: "disclosures");

            migrationBuilder.DropTable(
                name: "incidents");

            migrationBuilder.DropTable(
                name: "event_pseudonyms");

            migrationBuilder.DropTable(
                name: "privacy_requests");

            migrationBuilder.DropTable(
                name: "public_disclosure_notices");

            migrationBuilder.DropTable(
                name: "retention_sweeps");

            migrationBuilder.DropTable(
                name: "subjects");

            migrationBuilder.DropTable(
                name: "pending_registrations");

            migrationBuilder.DropTable(
                name: "recipients");
        }
    }
}
