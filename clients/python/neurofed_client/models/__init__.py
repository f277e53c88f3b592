"""Contains all the data models used in inputs/outputs"""

from .accept_request import AcceptRequest
from .acceptance_body import AcceptanceBody
from .account_request import AccountRequest
from .account_request_body import AccountRequestBody
from .acquisition_detail import AcquisitionDetail
from .acquisition_detail_protocol import AcquisitionDetailProtocol
from .acquisition_node import AcquisitionNode
from .agreement_body import AgreementBody
from .agreement_state import AgreementState
from .agreement_text import AgreementText
from .applied_change import AppliedChange
from .apply_body import ApplyBody
from .approve_request import ApproveRequest
from .assessment_body import AssessmentBody
from .assessment_body_values import AssessmentBodyValues
from .assessment_row import AssessmentRow
from .assessment_row_values import AssessmentRowValues
from .assessment_rows import AssessmentRows
from .audit_page import AuditPage
from .audit_record import AuditRecord
from .blob_stored import BlobStored
from .card_added import CardAdded
from .card_list import CardList
from .card_values import CardValues
from .card_values_current import CardValuesCurrent
from .card_values_history_item import CardValuesHistoryItem
from .card_values_original import CardValuesOriginal
from .card_version import CardVersion
from .center_ref import CenterRef
from .commit_request import CommitRequest
from .consortium_body import ConsortiumBody
from .coverage_body import CoverageBody
from .dataset_detail import DatasetDetail
from .dataset_node import DatasetNode
from .dicom_info import DicomInfo
from .equipment_body import EquipmentBody
from .error_body import ErrorBody
from .error_detail import ErrorDetail
from .examination_detail import ExaminationDetail
from .examination_node import ExaminationNode
from .examination_summary import ExaminationSummary
from .federated_body import FederatedBody
from .federated_body_facet_error_bound import FederatedBodyFacetErrorBound
from .federated_body_facet_other import FederatedBodyFacetOther
from .federated_body_facets import FederatedBodyFacets
from .federated_body_facets_additional_property import (
    FederatedBodyFacetsAdditionalProperty,
)
from .fetch_body import FetchBody
from .fetched_body import FetchedBody
from .fetched_file import FetchedFile
from .grade import Grade
from .grant_request import GrantRequest
from .health import Health
from .import_dicom_files_body import ImportDicomFilesBody
from .import_summary_body import ImportSummaryBody
from .import_summary_body_quarantine_reasons import ImportSummaryBodyQuarantineReasons
from .instrument_body import InstrumentBody
from .instrument_list import InstrumentList
from .instrument_set import InstrumentSet
from .login_body import LoginBody
from .login_request import LoginRequest
from .me_body import MeBody
from .member_body import MemberBody
from .member_outcome import MemberOutcome
from .member_state_body import MemberStateBody
from .missing_answer import MissingAnswer
from .missing_request import MissingRequest
from .new_card import NewCard
from .new_request import NewRequest
from .new_token_body import NewTokenBody
from .new_token_request import NewTokenRequest
from .new_user_request import NewUserRequest
from .nifti_info import NiftiInfo
from .node_report_body import NodeReportBody
from .openapi_response_200 import OpenapiResponse200
from .password_change import PasswordChange
from .pending_agreement_body import PendingAgreementBody
from .provenance import Provenance
from .pushed_body import PushedBody
from .quarantine_deleted import QuarantineDeleted
from .quarantine_list import QuarantineList
from .quarantined_body import QuarantinedBody
from .refuse_request import RefuseRequest
from .report_subscription_body import ReportSubscriptionBody
from .request_body import RequestBody
from .request_list import RequestList
from .right_body import RightBody
from .right_list import RightList
from .scoped_keys_body import ScopedKeysBody
from .score_entry import ScoreEntry
from .score_entry_values import ScoreEntryValues
from .scores_body import ScoresBody
from .scores_report_body import ScoresReportBody
from .search_body import SearchBody
from .search_body_facet_other import SearchBodyFacetOther
from .search_body_facets import SearchBodyFacets
from .search_body_facets_additional_property import SearchBodyFacetsAdditionalProperty
from .search_hit import SearchHit
from .skipped_body import SkippedBody
from .stats_body import StatsBody
from .study_list import StudyList
from .study_ref import StudyRef
from .study_summary import StudySummary
from .study_tree import StudyTree
from .subject_detail import SubjectDetail
from .subject_node import SubjectNode
from .subject_summary import SubjectSummary
from .suggest_body import SuggestBody
from .upload_instance import UploadInstance
from .upload_keys import UploadKeys
from .upload_keys_profile import UploadKeysProfile
from .user_body import UserBody
from .user_list import UserList
from .variable_body import VariableBody

__all__ = (
    "AcceptRequest",
    "AcceptanceBody",
    "AccountRequest",
    "AccountRequestBody",
    "AcquisitionDetail",
    "AcquisitionDetailProtocol",
    "AcquisitionNode",
    "AgreementBody",
    "AgreementState",
    "AgreementText",
    "AppliedChange",
    "ApplyBody",
    "ApproveRequest",
    "AssessmentBody",
    "AssessmentBodyValues",
    "AssessmentRow",
    "AssessmentRowValues",
    "AssessmentRows",
    "AuditPage",
    "AuditRecord",
    "BlobStored",
    "CardAdded",
    "CardList",
    "CardValues",
    "CardValuesCurrent",
    "CardValuesHistoryItem",
    "CardValuesOriginal",
    "CardVersion",
    "CenterRef",
    "CommitRequest",
    "ConsortiumBody",
    "CoverageBody",
    "DatasetDetail",
    "DatasetNode",
    "DicomInfo",
    "EquipmentBody",
    "ErrorBody",
    "ErrorDetail",
    "ExaminationDetail",
    "ExaminationNode",
    "ExaminationSummary",
    "FederatedBody",
    "FederatedBodyFacetErrorBound",
    "FederatedBodyFacetOther",
    "FederatedBodyFacets",
    "FederatedBodyFacetsAdditionalProperty",
    "FetchBody",
    "FetchedBody",
    "FetchedFile",
    "Grade",
    "GrantRequest",
    "Health",
    "ImportDicomFilesBody",
    "ImportSummaryBody",
    "ImportSummaryBodyQuarantineReasons",
    "InstrumentBody",
    "InstrumentList",
    "InstrumentSet",
    "LoginBody",
    "LoginRequest",
    "MeBody",
    "MemberBody",
    "MemberOutcome",
    "MemberStateBody",
    "MissingAnswer",
    "MissingRequest",
    "NewCard",
    "NewRequest",
    "NewTokenBody",
    "NewTokenRequest",
    "NewUserRequest",
    "NiftiInfo",
    "NodeReportBody",
    "OpenapiResponse200",
    "PasswordChange",
    "PendingAgreementBody",
    "Provenance",
    "PushedBody",
    "QuarantineDeleted",
    "QuarantineList",
    "QuarantinedBody",
    "RefuseRequest",
    "ReportSubscriptionBody",
    "RequestBody",
    "RequestList",
    "RightBody",
    "RightList",
    "ScopedKeysBody",
    "ScoreEntry",
    "ScoreEntryValues",
    "ScoresBody",
    "ScoresReportBody",
    "SearchBody",
    "SearchBodyFacetOther",
    "SearchBodyFacets",
    "SearchBodyFacetsAdditionalProperty",
    "SearchHit",
    "SkippedBody",
    "StatsBody",
    "StudyList",
    "StudyRef",
    "StudySummary",
    "StudyTree",
    "SubjectDetail",
    "SubjectNode",
    "SubjectSummary",
    "SuggestBody",
    "UploadInstance",
    "UploadKeys",
    "UploadKeysProfile",
    "UserBody",
    "UserList",
    "VariableBody",
)
