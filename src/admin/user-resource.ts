import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Membership, MembershipSchema, type User, UserSchema } from "../gen/keyward/admin/v1/key_pb.js";
import type { MembershipRow, UserRow } from "../store/user-repository.js";

/** The API resource for a user. */
export function userResource(u: UserRow): User {
  return create(UserSchema, {
    id: u.id,
    name: u.name,
    defaultCompanyId: u.default_company_id,
    createTime: timestampFromDate(u.create_time),
    updateTime: timestampFromDate(u.update_time),
  });
}

/** The API resource for a membership. */
export function membershipResource(m: MembershipRow): Membership {
  return create(MembershipSchema, {
    userId: m.user_id,
    companyId: m.company_id,
    createTime: timestampFromDate(m.create_time),
  });
}
