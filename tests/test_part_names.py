"""Part roles from the names character tools give their objects and materials (core/rig/part_names.py)."""

import pytest

from facemotion.core.rig.part_names import name_role, name_words
from facemotion.core.rig.parts import ROLE_AUTO, ROLE_NAMES


@pytest.mark.parametrize(
    "name, role",
    [
        # MakeHuman / MPFB
        ("helper-upper-teeth", "upper_teeth"),
        ("helper-lower-teeth", "lower_teeth"),
        ("helper-tongue", "tongue"),
        ("helper-l-eye", "eye"),
        ("HighPolyEyes", "eye"),
        ("Eyebrow001", "skin"),
        ("Tongue01", "tongue"),
        # Character Creator
        ("CC_Base_Teeth", "teeth"),
        ("CC_Base_Tongue", "tongue"),
        ("CC_Base_Eye", "eye"),
        ("CC_Base_EyeOcclusion", "skin"),
        ("CC_Base_TearLine", "skin"),
        ("Std_Upper_Teeth", "upper_teeth"),
        # Daz Genesis material zones
        ("Cornea", "eye"),
        ("Irises", "eye"),
        ("Sclera", "eye"),
        ("EyeMoisture", "skin"),
        ("Teeth", "teeth"),
        # MetaHuman
        ("teeth_lod0_mesh", "teeth"),
        ("eyeLeft_lod0_mesh", "eye"),
        ("eyeshell_lod0_mesh", "skin"),
        ("eyeEdge_lod0_mesh", "skin"),
        ("eyelashes_lod0_mesh", "skin"),
        # VRoid materials
        ("N00_000_00_EyeIris_00_EYE", "eye"),
        ("N00_000_00_FaceEyeline_00_FACE", "skin"),
        # Ready Player Me
        ("Wolf3D_Teeth", "teeth"),
        ("EyeRight", "eye"),
        ("Wolf3D_Hair", "ignore"),
        # ICT-FaceKit's OBJ materials
        ("M_Teeth", "teeth"),
        ("M_ScleraLeft", "eye"),
        ("M_IrisRight", "eye"),
        ("M_EyeBlend", "skin"),
        ("M_EyeOcclusion", "skin"),
        ("M_LacrimalFluid", "skin"),
        ("M_EyeLashes", "skin"),
        ("M_GumsTongue", "auto"),
    ],
)
def test_names_of_character_tools_give_their_parts(name, role):
    assert name_role(name) == ROLE_NAMES[role]


@pytest.mark.parametrize(
    "name",
    [
        "Wolf3D_Head",
        "Body",
        "Cube",
        "saliva_lod0_mesh",
        "N00_000_00_FaceMouth_00_FACE",
        "Genesis8Female",
        "Wolf3D_Beard",
        "Eyelid_gap",
        "",
    ],
)
def test_names_without_a_cue_leave_the_part_to_the_geometry(name):
    assert name_role(name) in (ROLE_AUTO, ROLE_NAMES["skin"])
    if "lid" not in name:
        assert name_role(name) == ROLE_AUTO


def test_the_first_name_with_a_cue_wins_and_words_split_at_humps_and_digits():
    assert name_role("Body", "CC_Base_Tongue") == ROLE_NAMES["tongue"]
    assert name_role("helper-tongue", "Teeth") == ROLE_NAMES["tongue"]
    assert name_words("CC_Base_EyeOcclusion") == ["cc", "base", "eye", "occlusion"]
    assert name_words("eyeLeft_lod0_mesh") == ["eye", "left", "lod", "0", "mesh"]
