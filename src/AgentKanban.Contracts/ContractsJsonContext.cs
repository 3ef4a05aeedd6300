using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentKanban.Contracts;

/// <summary>
/// Source-generated JSON for every wire type (no reflection, so the CLI can be published NativeAOT).
/// Fields are snake_case; nulls are written (clients rely on a stable shape), except where a DTO says otherwise.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    NumberHandling = JsonNumberHandling.Strict,
    WriteIndented = false)]
[JsonSerializable(typeof(BoardDto))]
[JsonSerializable(typeof(List<BoardDto>))]
[JsonSerializable(typeof(CreateBoardRequest))]
[JsonSerializable(typeof(UpdateBoardRequest))]
[JsonSerializable(typeof(CreateLabelRequest))]
[JsonSerializable(typeof(LabelDto))]
[JsonSerializable(typeof(List<LabelDto>))]
[JsonSerializable(typeof(RepositoryDto))]
[JsonSerializable(typeof(List<RepositoryDto>))]
[JsonSerializable(typeof(CreateRepositoryRequest))]
[JsonSerializable(typeof(TaskDto))]
[JsonSerializable(typeof(List<TaskDto>))]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(UpdateTaskRequest))]
[JsonSerializable(typeof(TransitionRequest))]
[JsonSerializable(typeof(ActivityDto))]
[JsonSerializable(typeof(List<ActivityDto>))]
[JsonSerializable(typeof(MessageDto))]
[JsonSerializable(typeof(List<MessageDto>))]
[JsonSerializable(typeof(NoteRequest))]
[JsonSerializable(typeof(MessageRequest))]
[JsonSerializable(typeof(WhyRequest))]
[JsonSerializable(typeof(LeaseDto))]
[JsonSerializable(typeof(AgentDto))]
[JsonSerializable(typeof(List<AgentDto>))]
[JsonSerializable(typeof(CreateAgentRequest))]
[JsonSerializable(typeof(UpdateAgentRequest))]
[JsonSerializable(typeof(MachineDto))]
[JsonSerializable(typeof(RuntimeModelDto))]
[JsonSerializable(typeof(List<RuntimeModelDto>))]
[JsonSerializable(typeof(List<MachineDto>))]
[JsonSerializable(typeof(RegisterMachineRequest))]
[JsonSerializable(typeof(MachineRegistrationDto))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatAnswerDto))]
[JsonSerializable(typeof(SessionDto))]
[JsonSerializable(typeof(List<SessionDto>))]
[JsonSerializable(typeof(OpenSessionRequest))]
[JsonSerializable(typeof(SessionUsageRequest))]
[JsonSerializable(typeof(UserDto))]
[JsonSerializable(typeof(List<UserDto>))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UserWithTokenDto))]
[JsonSerializable(typeof(WhoAmIDto))]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(ServerEventDto))]
[JsonSerializable(typeof(AgentEventDto))]
[JsonSerializable(typeof(List<AgentEventDto>))]
[JsonSerializable(typeof(AgentEventBatchRequest))]
[JsonSerializable(typeof(AgentEventBatchResultDto))]
[JsonSerializable(typeof(AgentTextData))]
[JsonSerializable(typeof(AgentToolUseData))]
[JsonSerializable(typeof(AgentToolResultData))]
[JsonSerializable(typeof(AgentTurnEndedData))]
[JsonSerializable(typeof(AgentRateLimitData))]
[JsonSerializable(typeof(AgentErrorData))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
